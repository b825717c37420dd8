#pragma once
// Cluster mode: a local front database (schema, spelling, synonyms) and the
// shards of one generation served by xapian-tcpsrv, each with replicas.
//
// The cluster file names the shards and their replicas. Cluster keeps what is
// known of each replica's health, shared by every searcher: a replica that
// fails is left alone until retry_ms has passed and a probe finds it answering
// again, so requests never wait on a node known to be down.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <xapian.h>

#include "broadsheet/server/cluster_config.hpp"

namespace broadsheet::server {

/// A shard opened for one searcher: the connection and the replica it goes to.
struct OpenedShard {
    Xapian::Database db;
    std::size_t replica = 0;
};

/// Health of the cluster at one moment (for /readyz and /metrics).
struct ClusterFigures {
    struct Replica {
        std::string shard;
        std::string endpoint;
        std::string state;  ///< "up", "down" or "other_generation"
    };
    std::size_t shards = 0;
    std::vector<std::string> shards_missing;  ///< shards with no usable replica
    std::size_t replicas_down = 0;            ///< down or serving another generation
    std::uint64_t partial_answers = 0;
    std::uint64_t failovers = 0;  ///< requests run again after a replica failed under them
    std::vector<Replica> replicas;
};

class Cluster {
public:
    explicit Cluster(ClusterConfig config);
    Cluster(const Cluster&) = delete;
    auto operator=(const Cluster&) -> Cluster& = delete;

    [[nodiscard]] auto config() const -> const ClusterConfig& { return m_config; }

    /// A connection to a usable replica of shard `shard` serving `generation`,
    /// spreading searchers over the replicas; nothing when none is usable.
    /// Replicas that fail to open or serve another generation are marked.
    [[nodiscard]] auto open_shard(std::size_t shard, const std::string& generation) -> std::optional<OpenedShard>;
    /// Whether new connections to a replica are worth trying for `generation`:
    /// not down, and not known to give new connections another generation.
    [[nodiscard]] auto usable(std::size_t shard, std::size_t replica, const std::string& generation) const -> bool;
    /// Whether a replica is down (not merely serving another generation to
    /// new connections: one opened before, and checked then, stays good).
    [[nodiscard]] auto is_down(std::size_t shard, std::size_t replica) const -> bool;
    /// Marks the replica a network error names (Xapian's context
    /// "remote:tcp(host:port)") as down, when the error shows the node did
    /// not answer in time. Other errors (a connection the node closed while
    /// idle, a node gone) show up when the shards are opened again.
    void note_failure(const Xapian::Error& error);
    /// Looks at every usable replica, and again at those whose retry time has
    /// passed, over a connection kept for the purpose (the watcher's thread
    /// only); `generation` is the front's. Returns whether what the shards
    /// hold has changed since the last probe (an add or delete on a shard).
    auto probe(const std::string& generation) -> bool;
    /// What the shards hold, as the last probe saw it (part of answers' entity tags).
    [[nodiscard]] auto contents() const -> std::string;
    /// Documents in the reachable shards, as the last probe counted them.
    [[nodiscard]] auto documents() const -> Xapian::doccount;
    /// Moves whenever a replica's state changes: searchers then reconnect.
    [[nodiscard]] auto health_epoch() const -> std::uint64_t { return m_health_epoch.load(std::memory_order_acquire); }
    /// The shards no replica can serve now.
    [[nodiscard]] auto missing_shards() const -> std::vector<std::string>;

    void count_partial_answer() { m_partial_answers.fetch_add(1, std::memory_order_relaxed); }
    void count_failover() { m_failovers.fetch_add(1, std::memory_order_relaxed); }
    [[nodiscard]] auto figures() const -> ClusterFigures;

private:
    struct Health {
        bool down = false;
        std::string serves;  ///< the generation new connections get, as last seen ("" before any)
        std::chrono::steady_clock::time_point retry_at{};
    };
    void mark_down(std::size_t shard, std::size_t replica, const std::string& why);
    /// The node answered; `serves` (when known) is the generation a new connection got.
    void mark_answering(std::size_t shard, std::size_t replica, const std::string& serves);
    [[nodiscard]] auto connect(std::size_t shard, std::size_t replica, const std::string& generation,
                               int connect_timeout_ms) -> std::optional<Xapian::Database>;
    [[nodiscard]] static auto usable(const Health& health, const std::string& generation) -> bool {
        return !health.down && (health.serves.empty() || health.serves == generation);
    }

    ClusterConfig m_config;
    mutable std::mutex m_mutex;
    std::vector<std::vector<Health>> m_health;                           // [shard][replica], guarded by m_mutex
    std::string m_contents;                                              // guarded by m_mutex
    Xapian::doccount m_documents = 0;                                    // guarded by m_mutex
    std::vector<std::vector<std::optional<Xapian::Database>>> m_probes;  // probe() only
    // One connection attempt at a time to each node: xapian-tcpsrv listens
    // with a backlog of 5, and a burst beyond it (a pool of searchers opening
    // at once) waits a second for the SYN to be sent again.
    std::vector<std::vector<std::unique_ptr<std::mutex>>> m_connecting;  // [shard][replica]
    std::string m_front_generation;  // the front's, as the last probe saw it; guarded by m_mutex
    std::atomic<std::uint64_t> m_health_epoch{0};
    std::atomic<std::uint64_t> m_next{0};  // spreads searchers over replicas
    std::atomic<std::uint64_t> m_partial_answers{0};
    std::atomic<std::uint64_t> m_failovers{0};
};

}  // namespace broadsheet::server
