#include "broadsheet/server/metrics.hpp"

#include <cstdio>

namespace broadsheet::server {

namespace {

auto number(double value) -> std::string {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.9g", value);
    return buffer;
}

// Label values are escaped as the exposition format requires.
auto label(std::string_view value) -> std::string {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

// One metric without labels, with its help and type lines.
void append_metric(std::string& out, const char* name, const char* type, const char* help, std::uint64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(value) + "\n";
}

}  // namespace

void Metrics::observe(std::string_view route, int status, double seconds) {
    std::lock_guard lock(m_mutex);
    ++m_requests[{std::string(route), status}];
    auto& histogram = m_latency[std::string(route)];
    ++histogram.count;
    histogram.sum += seconds;
    for (std::size_t i = 0; i < bucket_bounds.size(); ++i) {
        if (seconds <= bucket_bounds[i]) {
            ++histogram.buckets[i];
            break;
        }
    }
}

auto Metrics::render(const IndexInfo* info) const -> std::string {
    std::string out;
    out += "# HELP broadsheet_http_requests_total HTTP requests answered, by route and status.\n";
    out += "# TYPE broadsheet_http_requests_total counter\n";
    std::lock_guard lock(m_mutex);
    for (const auto& [key, count] : m_requests) {
        out += "broadsheet_http_requests_total{route=\"" + label(key.first) + "\",status=\"" +
               std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
    }
    out += "# HELP broadsheet_http_request_duration_seconds Time spent answering requests, by route.\n";
    out += "# TYPE broadsheet_http_request_duration_seconds histogram\n";
    for (const auto& [route, histogram] : m_latency) {
        auto name = "broadsheet_http_request_duration_seconds_bucket{route=\"" + label(route) + "\",le=\"";
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < bucket_bounds.size(); ++i) {
            cumulative += histogram.buckets[i];
            out += name + number(bucket_bounds[i]) + "\"} " + std::to_string(cumulative) + "\n";
        }
        out += name + "+Inf\"} " + std::to_string(histogram.count) + "\n";
        out += "broadsheet_http_request_duration_seconds_sum{route=\"" + label(route) + "\"} " + number(histogram.sum) +
               "\n";
        out += "broadsheet_http_request_duration_seconds_count{route=\"" + label(route) + "\"} " +
               std::to_string(histogram.count) + "\n";
    }
    out += "# HELP broadsheet_index_ready Whether an index is open (1) or not (0).\n";
    out += "# TYPE broadsheet_index_ready gauge\n";
    out += std::string("broadsheet_index_ready ") + (info ? "1" : "0") + "\n";
    if (info) {
        out += "# HELP broadsheet_index_documents Documents in the served generation.\n";
        out += "# TYPE broadsheet_index_documents gauge\n";
        out += "broadsheet_index_documents " + std::to_string(info->documents) + "\n";
        out += "# HELP broadsheet_index_revision Revision of the served generation (moves on add/delete).\n";
        out += "# TYPE broadsheet_index_revision gauge\n";
        out += "broadsheet_index_revision " + std::to_string(info->revision) + "\n";
        out += "# HELP broadsheet_index_info The served generation.\n";
        out += "# TYPE broadsheet_index_info gauge\n";
        out += "broadsheet_index_info{generation=\"" + label(info->generation) + "\",built_at=\"" +
               label(info->built_at) + "\"} 1\n";
    }
    return out;
}

auto render_serving_figures(const ServingFigures& figures) -> std::string {
    std::string out;
    auto metric = [&out](const char* name, const char* type, const char* help, std::uint64_t value) {
        append_metric(out, name, type, help, value);
    };
    metric("broadsheet_connections_accepted_total", "counter", "Connections accepted.", figures.connections_accepted);
    metric("broadsheet_connections_open", "gauge", "Connections open now.", figures.connections_open);
    metric("broadsheet_rejected_overload_total", "counter",
           "Requests answered 503 because no connection or queue place was free.", figures.rejected_full);
    metric("broadsheet_connections_evicted_total", "counter", "Idle connections closed to make room.",
           figures.evicted_idle);
    metric("broadsheet_request_head_timeouts_total", "counter", "Requests whose headers took too long (408).",
           figures.head_timeouts);
    metric("broadsheet_request_head_too_large_total", "counter", "Requests with oversized headers (431/414).",
           figures.head_too_large);
    metric("broadsheet_queue_timeouts_total", "counter", "Requests that waited too long for a worker (503).",
           figures.queue_timeouts);
    metric("broadsheet_searches_running", "gauge", "Index work running now.", figures.searches_running);
    metric("broadsheet_searches_waiting", "gauge", "Index work waiting for a place now.", figures.searches_waiting);
    return out;
}

auto render_result_cache_figures(const ResultCacheFigures& figures) -> std::string {
    std::string out;
    auto metric = [&out](const char* name, const char* type, const char* help, std::uint64_t value) {
        append_metric(out, name, type, help, value);
    };
    metric("broadsheet_result_cache_hits_total", "counter", "Searches answered from the result cache.", figures.hits);
    metric("broadsheet_result_cache_misses_total", "counter", "Searches looked up in the result cache and run.",
           figures.misses);
    metric("broadsheet_result_cache_evictions_total", "counter", "Answers dropped from the result cache for room.",
           figures.evictions);
    metric("broadsheet_result_cache_bytes", "gauge", "Bytes the result cache holds.", figures.bytes);
    metric("broadsheet_result_cache_entries", "gauge", "Answers the result cache holds.", figures.entries);
    return out;
}

auto render_cluster_figures(const ClusterFigures& figures) -> std::string {
    std::string out;
    auto metric = [&out](const char* name, const char* type, const char* help, std::uint64_t value) {
        append_metric(out, name, type, help, value);
    };
    metric("broadsheet_cluster_partial_answers_total", "counter",
           "Searches answered without one or more shards (partial: true).", figures.partial_answers);
    metric("broadsheet_cluster_failovers_total", "counter",
           "Requests run again after a shard's connection failed under them.", figures.failovers);
    metric("broadsheet_cluster_shards", "gauge", "Shards in the cluster file.", figures.shards);
    metric("broadsheet_cluster_shards_down", "gauge", "Shards no replica can serve now.",
           figures.shards_missing.size());
    metric("broadsheet_cluster_replicas_down", "gauge",
           "Replicas not used now: down, or serving another generation than the front.", figures.replicas_down);
    out += "# HELP broadsheet_cluster_replica_up Whether a replica is used (1) or not (0), with its state.\n";
    out += "# TYPE broadsheet_cluster_replica_up gauge\n";
    for (const auto& replica : figures.replicas) {
        out += "broadsheet_cluster_replica_up{shard=\"" + label(replica.shard) + "\",replica=\"" +
               label(replica.endpoint) + "\",state=\"" + label(replica.state) + "\"} " +
               (replica.state == "up" ? "1" : "0") + "\n";
    }
    return out;
}

}  // namespace broadsheet::server
