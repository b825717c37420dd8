#pragma once
// Request counters and latency histograms, in Prometheus text format.

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "broadsheet/server/index_pool.hpp"
#include "broadsheet/server/result_cache.hpp"

namespace broadsheet::server {

/// Counters and gauges of the connection layer and the admission queue, as read at one moment.
struct ServingFigures {
    std::uint64_t connections_accepted = 0;
    std::uint64_t connections_open = 0;
    std::uint64_t rejected_full = 0;  ///< 503: no connection or queue place
    std::uint64_t evicted_idle = 0;
    std::uint64_t head_timeouts = 0;   ///< 408
    std::uint64_t head_too_large = 0;  ///< 431/414
    std::uint64_t queue_timeouts = 0;  ///< 503 after waiting for a worker
    std::uint64_t searches_running = 0;
    std::uint64_t searches_waiting = 0;
};

/// The exposition text of those figures.
[[nodiscard]] auto render_serving_figures(const ServingFigures& figures) -> std::string;

/// Cluster mode: partial answers, failovers, and the shards and replicas out of use.
[[nodiscard]] auto render_cluster_figures(const ClusterFigures& figures) -> std::string;

/// The search result cache's hits, misses, evictions and size.
[[nodiscard]] auto render_result_cache_figures(const ResultCacheFigures& figures) -> std::string;

class Metrics {
public:
    /// Records one answered request of a route ("search", "article", ...).
    void observe(std::string_view route, int status, double seconds);
    /// The exposition text, with the live index's gauges (info may be null).
    [[nodiscard]] auto render(const IndexInfo* info) const -> std::string;

    /// Upper bounds of the latency buckets, in seconds.
    static constexpr std::array<double, 12> bucket_bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                          0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

private:
    struct Histogram {
        std::array<std::uint64_t, bucket_bounds.size()> buckets{};  // non-cumulative counts
        std::uint64_t count = 0;
        double sum = 0;
    };
    mutable std::mutex m_mutex;  // a short critical section per request; uncontended at these rates
    std::map<std::pair<std::string, int>, std::uint64_t> m_requests;
    std::map<std::string, Histogram> m_latency;
};

}  // namespace broadsheet::server
