#pragma once
// Following the live index, and giving each request a Xapian::Database of
// its own (Xapian objects are not thread-safe).
//
// The watcher polls INDEX_ROOT/CURRENT and the live database's revision and
// bumps an epoch when either moves. Searchers are leased per request and
// brought up to the current epoch before use, so a new generation is picked
// up by the next request while requests in flight finish on the old one.
//
// In cluster mode (cluster.hpp) the watcher follows the local front database
// instead, and each searcher's database is the front followed by one remote
// connection per reachable shard: the routes see one database either way.

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

#include "broadsheet/schema/record_dictionary.hpp"
#include "broadsheet/schema/schema.hpp"
#include "broadsheet/server/cluster.hpp"

namespace broadsheet::server {

namespace fs = std::filesystem;

/// What is known about the live generation.
struct IndexInfo {
    std::string generation;
    fs::path path;
    schema::Schema schema;  ///< the schema the generation was built with
    std::string built_at;
    Xapian::doccount documents = 0;
    Xapian::rev revision = 0;    ///< of the database; in cluster mode, of the front
    std::string shard_contents;  ///< cluster mode: what the shards held when this was read (Cluster::contents)
    /// What the stored records are compressed with (null: not compressed);
    /// in cluster mode, the front database's, for what remote shards send.
    std::shared_ptr<const schema::RecordDictionary> dictionary;
};

class IndexWatcher {
public:
    IndexWatcher(fs::path root, std::chrono::milliseconds poll_interval);
    /// Cluster mode: follows the cluster's front database and probes its replicas.
    IndexWatcher(Cluster& cluster, std::chrono::milliseconds poll_interval);
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
    auto refresh_cluster() -> bool;
    void publish(std::shared_ptr<const IndexInfo> next);
    void set_problem(std::optional<std::string> problem);

    fs::path m_root;
    Cluster* m_cluster = nullptr;
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
    // Cluster mode only: the front database, each shard's connection in
    // shard order (nothing for a shard no replica can serve), and the
    // cluster health they were chosen under.
    Xapian::Database front;
    std::vector<std::optional<OpenedShard>> shards;
    std::vector<std::string> missing_shards;
    std::uint64_t health_epoch = 0;
};

class SearcherPool {
public:
    explicit SearcherPool(IndexWatcher& watcher, int max_wildcard_expansion, Cluster* cluster = nullptr);
    /// The cluster in cluster mode, else nullptr.
    [[nodiscard]] auto cluster() const -> Cluster* { return m_cluster; }

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
        /// After a network error on a shard: marks what failed, connects the
        /// shards again (another replica where one is down). Rethrows in
        /// single-index mode.
        void recover(const Xapian::NetworkError& error);

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
    /// Cluster mode: connects the shards that have no usable connection
    /// (all of them with `all`), then combines front and shards.
    void connect_shards(Searcher& searcher, bool all);
    void configure_parser(Searcher& searcher);

    IndexWatcher& m_watcher;
    Cluster* m_cluster;
    int m_max_wildcard_expansion;
    std::mutex m_mutex;
    std::vector<std::unique_ptr<Searcher>> m_idle;
};

}  // namespace broadsheet::server
