#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "broadsheet/server/lifecycle.hpp"
#include "test_support.hpp"

using broadsheet::server::HttpLimits;
using broadsheet::server::HttpServer;
using broadsheet::server::StopSignals;

TEST_CASE("a SIGTERM that arrives while the server starts up stops it cleanly once it serves") {
    StopSignals signals;  // blocks SIGTERM in this thread and every thread started from it
    HttpLimits limits;
    limits.workers = 2;
    HttpServer server(limits);
    CHECK(server.bind_and_listen("127.0.0.1", 0) > 0);
    // Pending for the process until the signal thread takes it: no race with serving.
    REQUIRE(::kill(::getpid(), SIGTERM) == 0);
    CHECK(signals.serve_until_stopped(server));
}

TEST_CASE("the descriptor limit is raised to the hard limit") {
    rlimit before{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &before) == 0);
    broadsheet::server::raise_descriptor_limit(16);
    rlimit after{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &after) == 0);
    CHECK(after.rlim_cur == before.rlim_max);
    CHECK(after.rlim_max == before.rlim_max);
}

namespace {

// Standard output sent to a file while it lives (a file is not a terminal, so
// the server's batching log writer is the one in use).
class StdoutToFile {
public:
    explicit StdoutToFile(const std::string& path) : m_saved(::dup(STDOUT_FILENO)) {
        std::fflush(stdout);
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(fd, STDOUT_FILENO);
        ::close(fd);
    }
    ~StdoutToFile() {
        ::dup2(m_saved, STDOUT_FILENO);
        ::close(m_saved);
    }
    StdoutToFile(const StdoutToFile&) = delete;
    auto operator=(const StdoutToFile&) -> StdoutToFile& = delete;

private:
    int m_saved;
};

auto read_file(const std::string& path) -> std::string {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("log lines written to a file are all there after a flush, and after the logger is gone") {
    broadsheet::testing::TempDir dir;
    const auto path = (dir.path() / "server.log").string();
    {
        StdoutToFile redirect(path);
        auto logger = broadsheet::server::start_logging("info");
        spdlog::info("first request line");
        spdlog::warn("a warning");
        spdlog::debug("below the level");
        logger->flush();
        const auto flushed = read_file(path);
        CHECK(flushed.find("first request line") != std::string::npos);
        CHECK(flushed.find("a warning") != std::string::npos);
        CHECK(flushed.find("below the level") == std::string::npos);
        spdlog::info("last line before shutdown");
        spdlog::shutdown();
        logger.reset();  // the writer is joined and what it still held is written
    }
    CHECK(read_file(path).find("last line before shutdown") != std::string::npos);
}
