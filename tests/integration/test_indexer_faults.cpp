// The real broadsheet-indexer under faults: killed, out of disk, locked out.
// Whatever happens, it exits with a message (never an abort) and the
// generation being served stays readable. A killed build and a build out of
// disk are also checked end to end, with the server, in test_http_search.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <csignal>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <xapian.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace broadsheet::testing;
using namespace std::chrono_literals;

namespace {

constexpr int fixture_documents = 12;  // tests/fixtures/articles.jsonl

void write_corpus(const fs::path& path, int count) {
    std::ofstream out(path);
    for (int i = 0; i < count; ++i) {
        std::string body;
        for (int w = 0; w < 60; ++w) body += "word" + std::to_string((i * 31 + w * 7) % 5000) + " ";
        out << nlohmann::json{{"id", "f" + std::to_string(i)},
                              {"title", "Fault story " + std::to_string(i)},
                              {"body", body}}
                   .dump()
            << '\n';
    }
}

// The fixture index, and what these tests read of its live generation.
struct LiveIndex : FixtureIndex {
    [[nodiscard]] auto live_path() const -> fs::path {
        return root / read_file(root / "CURRENT").substr(0, std::string("gen-000001").size());
    }
    [[nodiscard]] auto documents() const -> Xapian::doccount {
        return Xapian::Database(live_path().string()).get_doccount();
    }
};

auto add_command(const FixtureIndex& index, const fs::path& input, std::vector<std::string> extra = {})
    -> std::vector<std::string> {
    std::vector<std::string> argv{indexer_bin(), "add", "--index", index.root.string(), "--input", input.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

// Exit status 1 with a logged error: not an abort (134), not a crash, not success.
void check_failed_cleanly(const RunResult& result) {
    INFO(result.output);
    CHECK(result.exit_code == 1);
    CHECK(result.output.find("[error]") != std::string::npos);
    CHECK(result.output.find("terminate called") == std::string::npos);
}

// The largest file Xapian keeps for a generation: a file-size limit just above
// it lets the indexer start and fails its first real write.
auto largest_file(const fs::path& dir) -> std::uintmax_t {
    std::uintmax_t largest = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir))
        if (entry.is_regular_file()) largest = std::max(largest, entry.file_size());
    return largest;
}

}  // namespace

TEST_CASE("an add killed with SIGKILL leaves the live generation readable at a committed batch") {
    LiveIndex index;
    TempDir corpus;
    constexpr int total = 20000;
    constexpr int batch = 500;
    write_corpus(corpus / "many.jsonl", total);
    {
        Process add(add_command(index, corpus / "many.jsonl", {"--commit-every", std::to_string(batch)}),
                    corpus / "add.log");
        // Kill it once at least one batch is committed and readable.
        CHECK(eventually([&] { return index.documents() > fixture_documents; }, 30s));
        add.signal(SIGKILL);
        CHECK(add.wait(10s) == 128 + SIGKILL);
    }
    const auto after_kill = static_cast<int>(index.documents());
    INFO("documents after the kill: " << after_kill);
    CHECK((after_kill - fixture_documents) % batch == 0);  // whole batches only
    CHECK(after_kill < fixture_documents + total);         // killed before the end
    CHECK(read_file(index.root / "CURRENT") == "gen-000001\n");

    // The server opens it and answers from it.
    ServerProcess server(index.root);
    httplib::Client client("127.0.0.1", server.port());
    auto stats = client.Get("/stats");
    REQUIRE(stats);
    CHECK(nlohmann::json::parse(stats->body)["documents"] == after_kill);

    // Running the same add again completes it: upserts by id add nothing twice.
    // (Xapian's lock outlives its writer by a moment, so retry while it says locked.)
    RunResult again;
    CHECK(eventually(
        [&] {
            again = run(add_command(index, corpus / "many.jsonl"));
            return again.output.find("locked by another writer") == std::string::npos;
        },
        30s));
    INFO(again.output);
    CHECK(again.exit_code == 0);
    CHECK(index.documents() == fixture_documents + total);
}

TEST_CASE("an add that runs out of disk says so, exits 1 and leaves the live generation readable") {
    LiveIndex index;
    TempDir corpus;
    write_corpus(corpus / "many.jsonl", 5000);
    // Writes past this size fail, as on a full disk. Set by prlimit, not by
    // run(), so SIGXFSZ is not ignored for the indexer: it must ignore it itself.
    const auto limit = largest_file(index.live_path()) + 64 * 1024;
    REQUIRE(fs::exists("/usr/bin/prlimit"));
    std::vector<std::string> argv{"/usr/bin/prlimit", "--fsize=" + std::to_string(limit)};
    for (auto& arg : add_command(index, corpus / "many.jsonl", {"--commit-every", "1000"})) argv.push_back(arg);
    Process add(argv, corpus / "add.log");
    const auto status = add.wait(60s);
    RunResult result{status.value_or(-1), add.log()};
    check_failed_cleanly(result);
    CHECK(result.output.find("index error: DatabaseError: Error writing block") != std::string::npos);
    CHECK(result.output.find("File too large") != std::string::npos);
    const auto documents = static_cast<int>(index.documents());
    CHECK((documents - fixture_documents) % 1000 == 0);
    CHECK(documents < fixture_documents + 5000);
}

TEST_CASE("a build that runs out of disk says so, exits 1 and publishes nothing") {
    LiveIndex index;
    TempDir corpus;
    write_corpus(corpus / "many.jsonl", 30000);
    RunOptions small_disk;
    small_disk.file_size_limit = 256 * 1024;
    auto result = run({indexer_bin(), "build", "--index", index.root.string(), "--input",
                       (corpus / "many.jsonl").string()},
                      small_disk);
    check_failed_cleanly(result);
    CHECK(result.output.find("File too large") != std::string::npos);
    CHECK(read_file(index.root / "CURRENT") == "gen-000001\n");
    CHECK(index.documents() == fixture_documents);
    for (const auto& entry : fs::directory_iterator(index.root))
        CHECK(entry.path().filename().string().rfind(".staging", 0) != 0);
}

TEST_CASE("add and delete refuse clearly while another process holds the Xapian write lock") {
    LiveIndex index;
    TempDir corpus;
    write_file(corpus / "one.jsonl", R"({"id": "locked1", "title": "Written after the lock is gone"})"
                                     "\n");
    {
        Xapian::WritableDatabase other_writer(index.live_path().string(), Xapian::DB_OPEN);
        for (const auto& argv :
             {add_command(index, corpus / "one.jsonl"),
              std::vector<std::string>{indexer_bin(), "delete", "--index", index.root.string(), "a001"}}) {
            auto result = run(argv);
            check_failed_cleanly(result);
            CHECK(result.output.find("the index is locked by another writer") != std::string::npos);
        }
    }
    CHECK(index.documents() == fixture_documents);
    auto result = run(add_command(index, corpus / "one.jsonl"));
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(index.documents() == fixture_documents + 1);
}

TEST_CASE("an indexer command waits for another one holding the index root, and says so") {
    LiveIndex index;
    TempDir corpus;
    write_file(corpus / "one.jsonl", R"({"id": "queued1", "title": "Queued behind another writer"})"
                                     "\n");
    const auto lock_path = index.root / ".lock";
    const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(lock_fd >= 0);
    REQUIRE(::flock(lock_fd, LOCK_EX) == 0);
    Process add(add_command(index, corpus / "one.jsonl"), corpus / "add.log");
    CHECK(eventually([&] { return add.log().find("waiting for another indexer command") != std::string::npos; }, 30s));
    CHECK_FALSE(add.wait(0ms).has_value());  // still waiting, not failed
    ::close(lock_fd);
    CHECK(add.wait(30s) == 0);
    CHECK(index.documents() == fixture_documents + 1);
}

TEST_CASE("an oversize tag is reported with file and line by the binary, with and without --skip-bad") {
    LiveIndex index;
    TempDir corpus;
    write_file(corpus / "tags.jsonl", R"({"id": "t1", "title": "fine"})"
                                      "\n"
                                      R"({"id": "t2", "title": "x", "tags": [")" +
                                          std::string(300, 'k') + "\"]}\n");
    auto failed = run(
        {indexer_bin(), "build", "--index", index.root.string(), "--input", (corpus / "tags.jsonl").string()});
    check_failed_cleanly(failed);
    CHECK(failed.output.find("tags.jsonl:2: field 'tags'") != std::string::npos);
    CHECK(read_file(index.root / "CURRENT") == "gen-000001\n");

    auto skipped = run({indexer_bin(), "build", "--index", index.root.string(), "--input",
                        (corpus / "tags.jsonl").string(), "--skip-bad"});
    INFO(skipped.output);
    CHECK(skipped.exit_code == 0);
    CHECK(skipped.output.find("indexed 1 documents (1 bad)") != std::string::npos);
}
