#include "broadsheet/server/cluster.hpp"

#include <algorithm>
#include <string_view>

#include <spdlog/spdlog.h>

#include "broadsheet/schema/schema.hpp"
#include "broadsheet/schema/shards.hpp"

namespace broadsheet::server {

namespace {

// The endpoint a remote error names: Xapian sets the context of errors on a
// TCP connection to "remote:tcp(host:port)".
auto endpoint_of(const Xapian::Error& error) -> std::string {
    const auto& context = error.get_context();
    const std::string prefix = "remote:tcp(";
    if (!context.starts_with(prefix) || !context.ends_with(")")) return {};
    return context.substr(prefix.size(), context.size() - prefix.size() - 1);
}

}  // namespace

Cluster::Cluster(ClusterConfig config) : m_config(std::move(config)) {
    for (const auto& shard : m_config.shards) {
        m_health.emplace_back(shard.replicas.size());
        m_probes.emplace_back(shard.replicas.size());
        auto& connecting = m_connecting.emplace_back();
        for (std::size_t i = 0; i < shard.replicas.size(); ++i) connecting.push_back(std::make_unique<std::mutex>());
    }
}

void Cluster::mark_down(std::size_t shard, std::size_t replica, const std::string& why) {
    {
        std::lock_guard lock(m_mutex);
        auto& health = m_health[shard][replica];
        health.retry_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(m_config.retry_ms);
        if (health.down) return;
        health.down = true;
    }
    m_health_epoch.fetch_add(1, std::memory_order_acq_rel);
    spdlog::warn("replica {} of {} is not used for now: {}", m_config.shards[shard].replicas[replica].label(),
                 m_config.shards[shard].name, why);
}

void Cluster::mark_answering(std::size_t shard, std::size_t replica, const std::string& serves) {
    bool came_back = false;
    bool moved = false;
    std::string front;
    {
        std::lock_guard lock(m_mutex);
        auto& health = m_health[shard][replica];
        came_back = health.down;
        moved = !serves.empty() && serves != health.serves;
        health.down = false;
        if (!serves.empty()) health.serves = serves;
        front = m_front_generation;
        // Looked at again after retry_ms while it gives new connections another build.
        if (health.serves != front)
            health.retry_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(m_config.retry_ms);
    }
    if (!came_back && !moved) return;
    m_health_epoch.fetch_add(1, std::memory_order_acq_rel);
    const auto endpoint = m_config.shards[shard].replicas[replica].label();
    const auto& name = m_config.shards[shard].name;
    if (came_back) spdlog::info("replica {} of {} is answering again", endpoint, name);
    if (moved && !front.empty() && serves != front)
        spdlog::warn("replica {} of {} gives new connections {}, the front is {}: not combined with it", endpoint, name,
                     serves, front);
}

auto Cluster::usable(std::size_t shard, std::size_t replica, const std::string& generation) const -> bool {
    std::lock_guard lock(m_mutex);
    return usable(m_health[shard][replica], generation);
}

auto Cluster::is_down(std::size_t shard, std::size_t replica) const -> bool {
    std::lock_guard lock(m_mutex);
    return m_health[shard][replica].down;
}

auto Cluster::connect(std::size_t shard, std::size_t replica, const std::string& generation, int connect_timeout_ms)
    -> std::optional<Xapian::Database> {
    const auto& endpoint = m_config.shards[shard].replicas[replica];
    try {
        auto db = Xapian::Remote::open(endpoint.host, static_cast<unsigned>(endpoint.port),
                                       static_cast<useconds_t>(m_config.timeout_ms),
                                       static_cast<useconds_t>(connect_timeout_ms));
        // One round trip each; a node serving another build, or another
        // shard, is never combined with this front.
        const auto serves = db.get_metadata(schema::metadata::generation);
        const auto number = db.get_metadata(schema::shard_metadata::index);
        if (number != std::to_string(shard)) {
            mark_down(shard, replica,
                      "it serves shard " + (number.empty() ? std::string("(none)") : number) +
                          " (check the order of the cluster file)");
            return std::nullopt;
        }
        mark_answering(shard, replica, serves.empty() ? std::string("(none)") : serves);
        if (serves != generation) return std::nullopt;
        return db;
    } catch (const Xapian::Error& e) {
        mark_down(shard, replica, e.get_description());
        return std::nullopt;
    }
}

auto Cluster::open_shard(std::size_t shard, const std::string& generation) -> std::optional<OpenedShard> {
    const auto count = m_config.shards[shard].replicas.size();
    const auto start = m_next.fetch_add(1, std::memory_order_relaxed) % count;
    for (std::size_t k = 0; k < count; ++k) {
        const auto replica = (start + k) % count;
        if (!usable(shard, replica, generation)) continue;
        std::lock_guard one_at_a_time(*m_connecting[shard][replica]);
        // Marked down by the attempt this one waited for: not tried again now.
        if (!usable(shard, replica, generation)) continue;
        if (auto db = connect(shard, replica, generation, m_config.connect_timeout_ms))
            return OpenedShard{std::move(*db), replica};
    }
    return std::nullopt;
}

void Cluster::note_failure(const Xapian::Error& error) {
    // A node that let the time limit pass is left alone until retried. A
    // timeout the node reports itself ("REMOTE:"), the one it closes idle
    // connections with, says nothing against the node.
    const bool timeout = std::string_view(error.get_type()) == "NetworkTimeoutError";
    if (!timeout || error.get_msg().starts_with("REMOTE:")) return;
    const auto endpoint = endpoint_of(error);
    for (std::size_t shard = 0; shard < m_config.shards.size(); ++shard)
        for (std::size_t replica = 0; replica < m_config.shards[shard].replicas.size(); ++replica)
            if (m_config.shards[shard].replicas[replica].label() == endpoint)
                mark_down(shard, replica, error.get_description());
}

auto Cluster::probe(const std::string& generation) -> bool {
    bool new_generation = false;
    {
        std::lock_guard lock(m_mutex);
        new_generation = generation != m_front_generation;
        m_front_generation = generation;
        // Every replica is looked at afresh against the front's new generation.
        if (new_generation)
            for (auto& shard : m_health)
                for (auto& health : shard) health.retry_at = {};
    }
    if (new_generation)
        for (auto& probes : m_probes)
            for (auto& probe : probes) probe.reset();
    std::string contents;
    Xapian::doccount documents = 0;
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t shard = 0; shard < m_config.shards.size(); ++shard) {
        std::string shard_contents;
        for (std::size_t replica = 0; replica < m_config.shards[shard].replicas.size(); ++replica) {
            auto& probe = m_probes[shard][replica];
            bool due = false;
            bool other_generation = false;
            {
                std::lock_guard lock(m_mutex);
                const auto& health = m_health[shard][replica];
                other_generation = !health.down && !usable(health, generation);
                due = usable(health, generation) || health.retry_at <= now;
            }
            if (!due) continue;
            // What new connections get is learnt by making one.
            if (other_generation) probe.reset();
            if (probe) {
                try {
                    // One round trip: follows a new revision (add, delete) of what the node opened.
                    probe->reopen();
                    mark_answering(shard, replica, {});
                } catch (const Xapian::Error& e) {
                    note_failure(e);
                    probe.reset();  // closed while idle, or the node went: connect again
                }
            }
            // The watcher is not holding up a request: it gives a node the whole
            // timeout_ms to accept, so that a node slow to fork under load is
            // not taken for a dead one (and its shard left out of answers).
            if (!probe) {
                std::lock_guard one_at_a_time(*m_connecting[shard][replica]);
                probe = connect(shard, replica, generation, std::max(m_config.connect_timeout_ms, m_config.timeout_ms));
            }
            if (probe && shard_contents.empty()) {
                try {
                    // What the shard holds, as far as a reader can tell (a remote has no revision).
                    shard_contents = std::to_string(probe->get_doccount()) + "/" +
                                     std::to_string(probe->get_lastdocid()) + "/" +
                                     std::to_string(probe->get_total_length());
                    documents += probe->get_doccount();
                } catch (const Xapian::Error& e) {
                    note_failure(e);
                    probe.reset();
                }
            }
        }
        contents += m_config.shards[shard].name + "=" + (shard_contents.empty() ? "-" : shard_contents) + ";";
    }
    std::lock_guard lock(m_mutex);
    m_documents = documents;
    const bool changed = contents != m_contents;
    m_contents = std::move(contents);
    return changed;
}

auto Cluster::contents() const -> std::string {
    std::lock_guard lock(m_mutex);
    return m_contents;
}

auto Cluster::documents() const -> Xapian::doccount {
    std::lock_guard lock(m_mutex);
    return m_documents;
}

auto Cluster::missing_shards() const -> std::vector<std::string> {
    std::vector<std::string> missing;
    std::lock_guard lock(m_mutex);
    for (std::size_t shard = 0; shard < m_health.size(); ++shard) {
        bool any = false;
        for (const auto& health : m_health[shard]) any = any || usable(health, m_front_generation);
        if (!any) missing.push_back(m_config.shards[shard].name);
    }
    return missing;
}

auto Cluster::figures() const -> ClusterFigures {
    ClusterFigures figures;
    figures.shards = m_config.shards.size();
    figures.shards_missing = missing_shards();
    figures.partial_answers = m_partial_answers.load(std::memory_order_relaxed);
    figures.failovers = m_failovers.load(std::memory_order_relaxed);
    std::lock_guard lock(m_mutex);
    for (std::size_t shard = 0; shard < m_health.size(); ++shard) {
        for (std::size_t replica = 0; replica < m_health[shard].size(); ++replica) {
            const auto& health = m_health[shard][replica];
            const bool up = usable(health, m_front_generation);
            if (!up) ++figures.replicas_down;
            figures.replicas.push_back({m_config.shards[shard].name, m_config.shards[shard].replicas[replica].label(),
                                        up            ? "up"
                                        : health.down ? "down"
                                                      : "other_generation"});
        }
    }
    return figures;
}

}  // namespace broadsheet::server
