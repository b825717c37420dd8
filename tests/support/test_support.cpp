#include "test_support.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <nlohmann/json.hpp>

extern char** environ;

namespace broadsheet::testing {

TempDir::TempDir() {
    std::random_device rd;
    auto base = fs::temp_directory_path();
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto candidate = base / ("broadsheet-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
        if (fs::create_directory(candidate)) {
            m_path = candidate;
            return;
        }
    }
    throw std::runtime_error("cannot create a temp dir");
}

TempDir::~TempDir() {
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
}

auto fixture(const std::string& name) -> fs::path { return fs::path(BROADSHEET_FIXTURES_DIR) / name; }

auto shared_file(const std::string& relative) -> std::optional<fs::path> {
    auto path = fs::path(BROADSHEET_SHARED_DIR) / relative;
    if (fs::exists(path)) return path;
    return std::nullopt;
}

auto read_file(const fs::path& path) -> std::string {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_file(const fs::path& path, const std::string& content) {
    if (path.has_parent_path()) fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

namespace {

auto decode_status(int status) -> int {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

// fork+exec rather than posix_spawn: the child may need rlimits and a
// reset signal disposition before exec.
auto spawn_child(const std::vector<std::string>& argv, const RunOptions& options, int stdin_fd, int out_fd) -> pid_t {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        if (stdin_fd >= 0) ::dup2(stdin_fd, 0);
        ::dup2(out_fd, 1);
        ::dup2(out_fd, 2);
        for (const auto& [key, value] : options.env) ::setenv(key.c_str(), value.c_str(), 1);
        if (options.file_size_limit) {
            // A write past the limit then fails with EFBIG instead of killing the
            // process: the same error path as a full disk.
            ::signal(SIGXFSZ, SIG_IGN);
            rlimit limit{static_cast<rlim_t>(*options.file_size_limit), static_cast<rlim_t>(*options.file_size_limit)};
            ::setrlimit(RLIMIT_FSIZE, &limit);
        }
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

}  // namespace

auto run(const std::vector<std::string>& argv, const RunOptions& options) -> RunResult {
    TempDir scratch;
    auto out_path = scratch / "output";
    int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int stdin_fd = -1;
    if (!options.stdin_data.empty()) {
        write_file(scratch / "stdin", options.stdin_data);
        stdin_fd = ::open((scratch / "stdin").c_str(), O_RDONLY);
    } else {
        stdin_fd = ::open("/dev/null", O_RDONLY);
    }
    pid_t pid = spawn_child(argv, options, stdin_fd, out_fd);
    ::close(out_fd);
    ::close(stdin_fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return RunResult{decode_status(status), read_file(out_path)};
}

Process::Process(const std::vector<std::string>& argv, const fs::path& log_path) : m_log_path(log_path) {
    int out_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int stdin_fd = ::open("/dev/null", O_RDONLY);
    m_pid = spawn_child(argv, {}, stdin_fd, out_fd);
    ::close(out_fd);
    ::close(stdin_fd);
}

Process::~Process() {
    if (!m_status) {
        ::kill(m_pid, SIGKILL);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
    }
}

void Process::signal(int sig) const { ::kill(m_pid, sig); }

auto Process::wait(std::chrono::milliseconds timeout) -> std::optional<int> {
    if (m_status) return m_status;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        int status = 0;
        pid_t done = ::waitpid(m_pid, &status, WNOHANG);
        if (done == m_pid) {
            m_status = decode_status(status);
            return m_status;
        }
        if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

auto Process::log() const -> std::string { return read_file(m_log_path); }

ServerProcess::ServerProcess(const fs::path& index_root, std::vector<std::string> extra_args)
    : ServerProcess("--index", index_root, std::move(extra_args)) {}

ServerProcess::ServerProcess(const std::string& serving, const fs::path& target, std::vector<std::string> extra_args) {
    std::vector<std::string> argv{server_bin(), serving, target.string(), "--host", "127.0.0.1",
                                  "--port",     "0",     "--poll-ms",     "50"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    m_process = std::make_unique<Process>(argv, m_logs / "server.log");
    // The server logs "listening on http://127.0.0.1:PORT" once the socket is bound.
    const std::string marker = "listening on http://127.0.0.1:";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        auto text = log();
        if (auto at = text.find(marker); at != std::string::npos) {
            m_port = std::stoi(text.substr(at + marker.size()));
            return;
        }
        if (m_process->wait(std::chrono::milliseconds(0))) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("server did not start; log:\n" << log());
}

auto indexer_bin() -> std::string { return BROADSHEET_INDEXER_BIN; }
auto server_bin() -> std::string { return BROADSHEET_SERVER_BIN; }

void build_index(const fs::path& index_root, const std::vector<std::string>& inputs,
                 const std::vector<std::string>& extra_args) {
    std::vector<std::string> argv{indexer_bin(), "build", "--index", index_root.string()};
    for (const auto& input : inputs) {
        argv.push_back("--input");
        argv.push_back(input);
    }
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    auto result = run(argv);
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
}

ScopedEnv::ScopedEnv(const std::vector<std::string>& cleared, const std::map<std::string, std::string>& values) {
    for (const auto& name : cleared) {
        save(name);
        ::unsetenv(name.c_str());
    }
    for (const auto& [name, value] : values) {
        save(name);
        ::setenv(name.c_str(), value.c_str(), 1);
    }
}

ScopedEnv::~ScopedEnv() {
    for (const auto& [name, value] : m_saved) {
        if (value) ::setenv(name.c_str(), value->c_str(), 1);
        else ::unsetenv(name.c_str());
    }
}

void ScopedEnv::save(const std::string& name) {
    if (m_saved.contains(name)) return;
    const char* old = std::getenv(name.c_str());
    m_saved[name] = old ? std::optional<std::string>(old) : std::nullopt;
}

auto gunzip(const std::string& data) -> std::string {
    z_stream stream{};
    REQUIRE(inflateInit2(&stream, 15 + 16) == Z_OK);  // gzip only, not raw or zlib
    std::string out;
    char buffer[16384];
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    int rc = Z_OK;
    while (rc == Z_OK) {
        stream.next_out = reinterpret_cast<Bytef*>(buffer);
        stream.avail_out = sizeof buffer;
        rc = inflate(&stream, Z_NO_FLUSH);
        out.append(buffer, sizeof buffer - stream.avail_out);
    }
    inflateEnd(&stream);
    REQUIRE(rc == Z_STREAM_END);
    return out;
}

auto reuters_queries(std::size_t every) -> std::vector<NumberedQuery> {
    std::vector<NumberedQuery> chosen;
    std::size_t n = 0;
    for (const auto* name : {"reuters-keyword.txt", "reuters-phrase.txt", "reuters-boolean.txt"}) {
        const auto queries = shared_file(std::string("corpora/queries/") + name);
        REQUIRE(queries.has_value());
        std::ifstream in(*queries);
        std::string text;
        while (std::getline(in, text)) {
            if (text.empty()) continue;
            const auto index = n++;
            if (index % every == 0) chosen.push_back({index, text});
        }
    }
    return chosen;
}

auto news_records(std::size_t count, unsigned seed) -> std::string {
    const std::vector<std::string> places = {"NEW YORK", "LONDON", "TOKYO", "CHICAGO", "BRUSSELS", "WASHINGTON"};
    const std::vector<std::string> goods = {"crude oil", "wheat", "sugar", "coffee", "copper", "gold", "soybeans"};
    const std::vector<std::string> firms = {"Texaco Inc", "General Motors Corp", "Chase Manhattan Bank",
                                            "Mitsubishi Corp", "British Petroleum Co Plc"};
    const std::vector<std::string> verbs = {"rose", "fell", "was unchanged at", "climbed to", "dropped to"};
    std::mt19937 random(seed);
    auto pick = [&](const std::vector<std::string>& from) { return from[random() % from.size()]; };
    std::string lines;
    for (std::size_t i = 0; i < count; ++i) {
        const auto good = pick(goods);
        const auto firm = pick(firms);
        std::string body = pick(places) + ", March " + std::to_string(1 + random() % 28) + " - " + firm + " said its " +
                           good + " output " + pick(verbs) + " " + std::to_string(random() % 1000) + "." +
                           std::to_string(random() % 10) + " mln tonnes in the quarter, against " +
                           std::to_string(random() % 1000) + " mln a year earlier.";
        for (unsigned k = 0; k < 2 + random() % 4; ++k)
            body += " Prices of " + pick(goods) + " " + pick(verbs) + " " + std::to_string(random() % 500) +
                    " dlrs, the company said, adding that " + pick(firms) + " expected demand to " +
                    (random() % 2 ? "recover" : "weaken") + " in the second half. Reuter";
        nlohmann::json record{{"id", "n" + std::to_string(i)},
                              {"title", firm + " says " + good + " output " + pick(verbs) + " in quarter"},
                              {"body", body},
                              {"tags", {good, "earn"}},
                              {"date", "1987-03-" + std::to_string(10 + random() % 18)}};
        lines += record.dump() + "\n";
    }
    return lines;
}

}  // namespace broadsheet::testing
