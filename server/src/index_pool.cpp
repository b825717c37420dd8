#include "broadsheet/server/index_pool.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "broadsheet/schema/generations.hpp"
#include "broadsheet/schema/shards.hpp"
#include "broadsheet/server/errors.hpp"

namespace broadsheet::server {

namespace {

// The generation's record dictionary: the one already decoded when it has
// not changed (a new revision of the same build), else decoded afresh.
auto dictionary_of(const Xapian::Database& db, const IndexInfo* known)
    -> std::shared_ptr<const schema::RecordDictionary> {
    if (known && known->dictionary &&
        db.get_metadata(schema::metadata::record_dictionary) == known->dictionary->bytes())
        return known->dictionary;
    return schema::load_record_dictionary(db);
}

}  // namespace

IndexWatcher::IndexWatcher(fs::path root, std::chrono::milliseconds poll_interval)
    : m_root(std::move(root)), m_poll(poll_interval) {}

IndexWatcher::IndexWatcher(Cluster& cluster, std::chrono::milliseconds poll_interval)
    : m_root(cluster.config().front), m_cluster(&cluster), m_poll(poll_interval) {}

IndexWatcher::~IndexWatcher() { stop(); }

void IndexWatcher::start() {
    refresh();
    m_thread = std::thread([this] { run(); });
}

void IndexWatcher::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) m_thread.join();
}

void IndexWatcher::run() {
    std::unique_lock lock(m_mutex);
    while (!m_stopping) {
        m_wake.wait_for(lock, m_poll, [this] { return m_stopping; });
        if (m_stopping) break;
        lock.unlock();
        refresh();
        lock.lock();
    }
}

auto IndexWatcher::refresh() -> bool {
    std::lock_guard refresh_lock(m_refresh_mutex);
    if (m_cluster) return refresh_cluster();
    try {
        auto known = info();
        std::optional<std::string> current;
        try {
            current = schema::read_current_generation(m_root);
        } catch (const schema::InvalidCurrentError& e) {
            // Nothing is opened from a CURRENT that names no generation; what is
            // open keeps answering, and /readyz says why it is not ready.
            if (problem() != e.what()) {
                spdlog::error("index root {}: {}{}", m_root.string(), e.what(),
                              known ? "; still serving " + known->generation : std::string());
            }
            set_problem(e.what());
            return false;
        }
        if (!current) {
            if (known) {
                const std::string gone = "the index root has no CURRENT generation";
                if (problem() != gone)
                    spdlog::warn("{}/{} is gone; still serving {}", m_root.string(), schema::current_file_name,
                                 known->generation);
                set_problem(gone);
            } else {
                set_problem(std::nullopt);  // nothing published (any more): not a fault
            }
            return false;
        }
        bool new_generation = !known || known->generation != *current;
        // Open handles keep a deleted generation readable, but it will not survive a
        // restart and no writer can reach it: not ready.
        if (!new_generation && !fs::is_directory(known->path)) {
            if (!problem()) spdlog::error("the live generation {} has gone from disk", known->generation);
            set_problem("the live generation's directory is gone");
            return false;
        }
        if (new_generation) {
            auto path = m_root / *current;
            // This server opens one database per generation; a sharded one
            // needs the cluster front end. What is open keeps answering.
            if (auto manifest = schema::read_shard_manifest(path)) {
                const auto refused = "generation " + *current + " is split into " + std::to_string(manifest->count) +
                                     " shards, which this server does not serve (build it with --shards 1)";
                if (problem() != refused)
                    spdlog::error("index root {}: {}{}", m_root.string(), refused,
                                  known ? "; still serving " + known->generation : std::string());
                set_problem(refused);
                return false;
            }
            m_db.emplace(path.string());
        } else if (!m_db->reopen()) {
            set_problem(std::nullopt);
            return false;  // same generation, same revision
        }
        publish(std::make_shared<IndexInfo>(
            IndexInfo{*current,
                      m_root / *current,
                      schema::Schema::from_string(m_db->get_metadata(schema::metadata::schema)),
                      m_db->get_metadata(schema::metadata::built_at),
                      m_db->get_doccount(),
                      m_db->get_revision(),
                      {},
                      dictionary_of(*m_db, known.get())}));
        if (new_generation) {
            spdlog::info("serving generation {} ({} documents)", *current, m_db->get_doccount());
        } else {
            spdlog::info("generation {} moved to revision {} ({} documents)", *current, m_db->get_revision(),
                         m_db->get_doccount());
        }
        return true;
    } catch (const std::exception& e) {
        // A half-written or unreadable generation must not take down the one being served.
        spdlog::error("cannot open the index under {}: {}", m_root.string(), e.what());
        set_problem("the index cannot be opened");
    } catch (const Xapian::Error& e) {
        spdlog::error("cannot open the index under {}: {}", m_root.string(), e.get_description());
        set_problem("the index cannot be opened");
    }
    return false;
}

void IndexWatcher::publish(std::shared_ptr<const IndexInfo> next) {
    {
        std::lock_guard lock(m_mutex);
        m_info = std::move(next);
    }
    m_epoch.fetch_add(1, std::memory_order_acq_rel);
    set_problem(std::nullopt);
    if (m_on_change) m_on_change();
}

auto IndexWatcher::refresh_cluster() -> bool {
    const auto& path = m_cluster->config().front;
    auto fail = [&](const std::string& problem, const std::string& detail) {
        if (this->problem() != problem) spdlog::error("front database {}: {}", path.string(), detail);
        set_problem(problem);
        return false;
    };
    try {
        // Opened by its path each time: a stub file or a xapian-replicate
        // directory switches generation by a rename, which reopen() does not follow.
        Xapian::Database front(path.string());
        const auto generation = front.get_metadata(schema::metadata::generation);
        const auto count = front.get_metadata(schema::shard_metadata::count);
        const auto listed = std::to_string(m_cluster->config().shards.size());
        if (generation.empty() || front.get_metadata(schema::metadata::schema).empty())
            return fail("the front database holds no generation",
                        "it names no generation or schema (is it the front of a sharded build?)");
        if (count != listed) {
            const auto why = "the front database is of a build with " + (count.empty() ? "no" : count) +
                             " shards, the cluster file lists " + listed;
            return fail(why, why);
        }
        const auto known = info();
        const bool shards_moved = m_cluster->probe(generation);
        const bool new_generation = !known || known->generation != generation;
        if (!new_generation && known->revision == front.get_revision() && !shards_moved) {
            set_problem(std::nullopt);
            return false;
        }
        publish(std::make_shared<IndexInfo>(
            IndexInfo{generation, path, schema::Schema::from_string(front.get_metadata(schema::metadata::schema)),
                      front.get_metadata(schema::metadata::built_at), m_cluster->documents(), front.get_revision(),
                      m_cluster->contents(), dictionary_of(front, known.get())}));
        if (new_generation) spdlog::info("serving generation {} from {} shards", generation, listed);
        else
            spdlog::info("generation {} moved (front revision {}, shards {})", generation, front.get_revision(),
                         m_cluster->contents());
        return true;
    } catch (const std::exception& e) {
        return fail("the front database cannot be opened", e.what());
    } catch (const Xapian::Error& e) {
        return fail("the front database cannot be opened", e.get_description());
    }
}

auto IndexWatcher::problem() const -> std::optional<std::string> {
    std::lock_guard lock(m_mutex);
    return m_problem;
}

void IndexWatcher::set_problem(std::optional<std::string> problem) {
    bool recovered = false;
    {
        std::lock_guard lock(m_mutex);
        recovered = m_problem && !problem && m_info;
        m_problem = std::move(problem);
    }
    if (recovered) spdlog::info("the live index is readable again");
}

auto IndexWatcher::info() const -> std::shared_ptr<const IndexInfo> {
    std::lock_guard lock(m_mutex);
    return m_info;
}

SearcherPool::SearcherPool(IndexWatcher& watcher, int max_wildcard_expansion, Cluster* cluster)
    : m_watcher(watcher), m_cluster(cluster), m_max_wildcard_expansion(max_wildcard_expansion) {}

SearcherPool::Lease::~Lease() {
    if (m_searcher) m_pool->release(std::move(m_searcher));
}

void SearcherPool::Lease::reopen() {
    if (!m_searcher->db.reopen()) {
        // Nothing newer to move to; reopen against the watcher's view instead.
        m_pool->open(*m_searcher, m_pool->m_watcher.info());
    }
}

void SearcherPool::Lease::recover(const Xapian::NetworkError& error) {
    auto* cluster = m_pool->m_cluster;
    if (!cluster) throw;  // called while handling `error`: a single index has no other copy
    cluster->note_failure(error);
    cluster->count_failover();
    spdlog::info("a shard failed during a request ({}); connecting again", error.get_description());
    // Every connection: the others may be midway through the exchange the failure cut short.
    m_pool->connect_shards(*m_searcher, true);
}

void SearcherPool::open(Searcher& searcher, std::shared_ptr<const IndexInfo> info) {
    if (!info) throw index_unavailable();
    bool same_generation = searcher.info && searcher.info->generation == info->generation;
    if (m_cluster) {
        if (same_generation) {
            searcher.front.reopen();
            // New revisions of the shards; a connection that fails here is replaced below.
            for (auto& shard : searcher.shards) {
                if (!shard) continue;
                try {
                    shard->db.reopen();
                } catch (const Xapian::Error& e) {
                    m_cluster->note_failure(e);
                    shard.reset();
                }
            }
        } else {
            searcher.front = Xapian::Database(info->path.string());
            searcher.shards.clear();
        }
        searcher.info = std::move(info);
        connect_shards(searcher, false);
        return;
    }
    if (same_generation) {
        searcher.db.reopen();  // a new revision of the same database: cheap
    } else {
        searcher.db = Xapian::Database(info->path.string());
    }
    searcher.info = std::move(info);
    configure_parser(searcher);
}

void SearcherPool::connect_shards(Searcher& searcher, bool all) {
    // Taken first: a change of health meanwhile is seen by the next lease.
    searcher.health_epoch = m_cluster->health_epoch();
    const auto& shards = m_cluster->config().shards;
    searcher.shards.resize(shards.size());
    searcher.missing_shards.clear();
    // The front first: metadata comes from the first database, and spelling
    // and synonyms from the front alone (the remote backend serves neither).
    Xapian::Database combined;
    combined.add_database(searcher.front);
    for (std::size_t i = 0; i < shards.size(); ++i) {
        auto& shard = searcher.shards[i];
        // A connection checked when it was opened stays good while its node
        // answers, even if the node now gives new connections a newer build
        // (a publish in progress): it still serves this front's generation.
        if (shard && (all || m_cluster->is_down(i, shard->replica))) shard.reset();
        if (!shard) shard = m_cluster->open_shard(i, searcher.info->generation);
        if (shard) combined.add_database(shard->db);
        else searcher.missing_shards.push_back(shards[i].name);
    }
    searcher.db = std::move(combined);
    configure_parser(searcher);
}

void SearcherPool::configure_parser(Searcher& searcher) {
    const auto& info = searcher.info;
    // The parser points into the schema's stopper, so it is rebuilt whenever
    // the IndexInfo (which owns that schema) changes.
    Xapian::QueryParser parser;
    info->schema.configure(parser);
    parser.set_database(searcher.db);
    parser.set_max_expansion(static_cast<Xapian::termcount>(m_max_wildcard_expansion),
                             Xapian::Query::WILDCARD_LIMIT_ERROR);
    searcher.parser = std::move(parser);
}

auto SearcherPool::acquire() -> Lease {
    std::unique_ptr<Searcher> searcher;
    {
        std::lock_guard lock(m_mutex);
        if (!m_idle.empty()) {
            searcher = std::move(m_idle.back());
            m_idle.pop_back();
        }
    }
    if (!searcher) searcher = std::make_unique<Searcher>();
    auto epoch = m_watcher.epoch();
    if (!searcher->info || searcher->epoch != epoch) {
        open(*searcher, m_watcher.info());
        searcher->epoch = epoch;
    } else if (m_cluster && searcher->health_epoch != m_cluster->health_epoch()) {
        // A replica went down (leave it) or came back (a missing shard can be added).
        connect_shards(*searcher, false);
    }
    return {*this, std::move(searcher)};
}

void SearcherPool::release(std::unique_ptr<Searcher> searcher) {
    // One that fell behind is closed rather than kept, releasing its generation's files.
    if (searcher->epoch != m_watcher.epoch()) return;
    std::lock_guard lock(m_mutex);
    m_idle.push_back(std::move(searcher));
}

void SearcherPool::drop_stale() {
    std::vector<std::unique_ptr<Searcher>> stale;
    auto epoch = m_watcher.epoch();
    {
        std::lock_guard lock(m_mutex);
        auto keep = std::partition(m_idle.begin(), m_idle.end(), [&](const auto& s) { return s->epoch == epoch; });
        stale.assign(std::make_move_iterator(keep), std::make_move_iterator(m_idle.end()));
        m_idle.erase(keep, m_idle.end());
    }
    // Closed here, outside the lock.
}

}  // namespace broadsheet::server
