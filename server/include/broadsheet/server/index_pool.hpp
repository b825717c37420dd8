#pragma once
// Following the live index, and giving each request a Xapian::Database of
// its own (Xapian objects are not thread-safe).
//
// The watcher polls INDEX_ROOT/CURRENT and the live database's revision and
// bumps an epoch when either moves. Searchers are leased per request and
// brought up to the current epoch before use, so a new generation is picked
// up by the next request while requests in flight finish on the old one.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <xapian.h>

#include "broadsheet/schema/schema.hpp"

namespace broadsheet::server {

namespace fs = std::filesystem;

/// What is known about the live generation.
struct IndexInfo {
    std::string generation;
    fs::path path;
    schema::Schema schema;  ///< the schema the generation was built with
    std::string built_at;
    Xapian::doccount documents = 0;
    Xapian::rev revision = 0;
};

class IndexWatcher {
public:
    IndexWatcher(fs::path root, std::chrono::milliseconds poll_interval);
    ~IndexWatcher();
    IndexWatcher(const IndexWatcher&) = delete;
    auto operator=(const IndexWatcher&) -> IndexWatcher& = delete;

    /// Looks once now (so the server is ready at start if an index exists), then polls.
    void start();
    void stop();
    /// Checks for a new generation or revision; returns true if something changed.
    auto refresh() -> bool;

    /// The live generation, or nullptr while there is none.
    [[nodiscard]] auto info() const -> std::shared_ptr<const IndexInfo>;
    [[nodiscard]] auto epoch() const -> std::uint64_t { return m_epoch.load(std::memory_order_acquire); }
    /// Why the live generation cannot be read right now (its directory gone,
    /// or the database unreadable), or nothing when it can.
    [[nodiscard]] auto problem() const -> std::optional<std::string>;
    /// Called (on the watcher's thread) after each change of generation or revision.
    void on_change(std::function<void()> listener) { m_on_change = std::move(listener); }

private:
    void run();
    void set_problem(std::optional<std::string> problem);

    fs::path m_root;
    std::chrono::milliseconds m_poll;
    mutable std::mutex m_mutex;
    std::shared_ptr<const IndexInfo> m_info;
    std::optional<Xapian::Database> m_db;  // only touched by refresh()
    std::mutex m_refresh_mutex;
    std::atomic<std::uint64_t> m_epoch{0};
    std::optional<std::string> m_problem;  // guarded by m_mutex
    std::function<void()> m_on_change;
    std::condition_variable m_wake;
    bool m_stopping = false;
    std::thread m_thread;
};

/// One reader: a database handle and the query parser configured for it.
struct Searcher {
    std::shared_ptr<const IndexInfo> info;
    Xapian::Database db;
    Xapian::QueryParser parser;
    std::uint64_t epoch = 0;
};

class SearcherPool {
public:
    explicit SearcherPool(IndexWatcher& watcher, int max_wildcard_expansion);

    class Lease {
    public:
        Lease(SearcherPool& pool, std::unique_ptr<Searcher> searcher)
            : m_pool(&pool), m_searcher(std::move(searcher)) {}
        Lease(Lease&&) = default;
        ~Lease();
        auto operator->() -> Searcher* { return m_searcher.get(); }
        auto operator*() -> Searcher& { return *m_searcher; }
        /// Reopens after Xapian::DatabaseModifiedError (a writer committed twice mid-request).
        void reopen();

    private:
        SearcherPool* m_pool;
        std::unique_ptr<Searcher> m_searcher;
    };

    /// A searcher on the current generation; throws ApiError 503 if there is no index.
    [[nodiscard]] auto acquire() -> Lease;
    /// Closes idle searchers of older generations and revisions, so that a
    /// pruned generation's files are freed without waiting for a request.
    void drop_stale();

private:
    void release(std::unique_ptr<Searcher> searcher);
    void open(Searcher& searcher, std::shared_ptr<const IndexInfo> info);

    IndexWatcher& m_watcher;
    int m_max_wildcard_expansion;
    std::mutex m_mutex;
    std::vector<std::unique_ptr<Searcher>> m_idle;
};

}  // namespace broadsheet::server
