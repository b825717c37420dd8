#pragma once
// Helpers shared by the tests: unique temp dirs, fixture paths, and the real
// binaries started as child processes.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include <thread>

namespace broadsheet::testing {

namespace fs = std::filesystem;

/// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    auto operator=(const TempDir&) -> TempDir& = delete;
    [[nodiscard]] auto path() const -> const fs::path& { return m_path; }
    [[nodiscard]] auto operator/(const std::string& name) const -> fs::path { return m_path / name; }

private:
    fs::path m_path;
};

/// tests/fixtures/<name>
[[nodiscard]] auto fixture(const std::string& name) -> fs::path;
/// ../shared/<relative> if it exists (the read-only corpora beside the repository).
[[nodiscard]] auto shared_file(const std::string& relative) -> std::optional<fs::path>;

[[nodiscard]] auto read_file(const fs::path& path) -> std::string;
void write_file(const fs::path& path, const std::string& content);

struct RunResult {
    int exit_code = -1;  ///< exit status, or 128+signal
    std::string output;  ///< stdout and stderr together
};

struct RunOptions {
    std::map<std::string, std::string> env;  ///< added to the environment
    std::string stdin_data;                  ///< fed to standard input
    std::optional<long> file_size_limit;     ///< RLIMIT_FSIZE in bytes (simulates a full disk)
};

/// Runs a program to completion and captures its output.
[[nodiscard]] auto run(const std::vector<std::string>& argv, const RunOptions& options = {}) -> RunResult;

/// Starts a program in the background with output to a log file.
class Process {
public:
    Process(const std::vector<std::string>& argv, const fs::path& log_path);
    ~Process();  ///< SIGKILLs the child if it is still running
    Process(const Process&) = delete;
    auto operator=(const Process&) -> Process& = delete;

    [[nodiscard]] auto pid() const -> pid_t { return m_pid; }
    void signal(int sig) const;
    /// Waits for exit; returns the exit status (128+signal if killed), or nullopt on timeout.
    auto wait(std::chrono::milliseconds timeout) -> std::optional<int>;
    [[nodiscard]] auto log() const -> std::string;

private:
    pid_t m_pid = -1;
    fs::path m_log_path;
    std::optional<int> m_status;
};

/// The real broadsheet-server on an ephemeral loopback port.
class ServerProcess {
public:
    explicit ServerProcess(const fs::path& index_root, std::vector<std::string> extra_args = {});
    /// `serving` is "--index" or "--cluster" (a cluster file as `target`).
    ServerProcess(const std::string& serving, const fs::path& target, std::vector<std::string> extra_args);
    [[nodiscard]] auto port() const -> int { return m_port; }
    [[nodiscard]] auto process() -> Process& { return *m_process; }
    [[nodiscard]] auto log() const -> std::string { return m_process->log(); }

private:
    TempDir m_logs;
    std::unique_ptr<Process> m_process;
    int m_port = 0;
};

/// Path of the built binaries.
[[nodiscard]] auto indexer_bin() -> std::string;
[[nodiscard]] auto server_bin() -> std::string;

/// Runs `broadsheet-indexer build` on inputs into index_root; CHECKs it succeeded.
void build_index(const fs::path& index_root, const std::vector<std::string>& inputs,
                 const std::vector<std::string>& extra_args = {});

/// tests/fixtures/articles.jsonl built into a fresh index root.
struct FixtureIndex {
    TempDir dir;
    fs::path root = dir / "index";
    FixtureIndex() { build_index(root, {fixture("articles.jsonl").string()}); }
};

/// Environment variables for one test: every name in `cleared` is unset and
/// `values` are set; all of them get their previous values back on destruction.
class ScopedEnv {
public:
    ScopedEnv(const std::vector<std::string>& cleared, const std::map<std::string, std::string>& values);
    ~ScopedEnv();
    ScopedEnv(const ScopedEnv&) = delete;
    auto operator=(const ScopedEnv&) -> ScopedEnv& = delete;

private:
    void save(const std::string& name);
    std::map<std::string, std::optional<std::string>> m_saved;
};

/// Polls `done` every 20 ms until it holds or `timeout` passes (no fixed sleeps);
/// returns whether it held.
template <typename Predicate>
auto eventually(Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) -> bool {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
}

/// A query of the Reuters-21578 query sets, with its place among all of them.
struct NumberedQuery {
    std::size_t index = 0;
    std::string text;
};
/// Every `every`-th query (1: all) of ../shared/corpora/queries/reuters-{keyword,phrase,boolean}.txt,
/// in that order, blank lines left out; REQUIREs the files.
[[nodiscard]] auto reuters_queries(std::size_t every) -> std::vector<NumberedQuery>;

/// The bytes a gzip stream holds; REQUIREs a whole, valid stream.
[[nodiscard]] auto gunzip(const std::string& data) -> std::string;

/// `count` raw news-like records (id, title, body, tags, date) as JSONL
/// lines, alike as a news corpus's are (agencies, stock phrases, markets)
/// and different in their details, a fixed seed deciding which.
[[nodiscard]] auto news_records(std::size_t count, unsigned seed = 1) -> std::string;

}  // namespace broadsheet::testing
