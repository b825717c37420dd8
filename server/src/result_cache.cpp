#include "broadsheet/server/result_cache.hpp"

#include <cmath>
#include <cstdio>
#include <functional>

#include <nlohmann/json.hpp>

namespace broadsheet::server {

namespace {

// Allocation and node overhead charged for each answer kept.
constexpr std::size_t item_overhead = 256;

auto is_number_text(std::string_view text, std::string_view allowed) -> bool {
    return !text.empty() && text.find_first_not_of(allowed) == std::string_view::npos;
}

}  // namespace

auto CachedAnswer::took_text(double took_ms) const -> std::string {
    if (took_format == TookFormat::page) {
        char text[32];
        std::snprintf(text, sizeof text, "%.2f", took_ms);
        return text;
    }
    // As the search answer writes it (results.cpp): rounded to microseconds, then nlohmann's shortest form.
    return nlohmann::json(std::round(took_ms * 1000.0) / 1000.0).dump();
}

auto CachedAnswer::body(double took_ms) const -> std::string {
    auto took = took_text(took_ms);
    std::string out;
    out.reserve(head.size() + took.size() + tail.size());
    out += head;
    out += took;
    out += tail;
    return out;
}

auto CachedAnswer::plain_size(double took_ms) const -> std::size_t {
    return head.size() + took_text(took_ms).size() + tail.size();
}

auto CachedAnswer::footprint() const -> std::size_t {
    auto bytes = item_overhead + head.size() + tail.size() + content_type.size();
    if (gzip) bytes += gzip->head.size() + gzip->tail.size();
    return bytes;
}

auto cut_at_took(std::string_view body, std::string content_type, TookFormat format) -> std::optional<CachedAnswer> {
    std::size_t start = 0;
    std::size_t end = 0;
    if (format == TookFormat::json) {
        // The last "took_ms": the answer's own (results.cpp writes keys in
        // order, took_ms after hits); a quote inside a string is escaped, so
        // stored text cannot fake it.
        constexpr std::string_view key = "\"took_ms\":";
        auto at = body.rfind(key);
        if (at == std::string_view::npos) return std::nullopt;
        start = at + key.size();
        end = body.find_first_of(",}", start);
        if (end == std::string_view::npos || !is_number_text(body.substr(start, end - start), "0123456789.eE+-"))
            return std::nullopt;
    } else {
        // The status line of templates/results.tpl, "... (1.23 ms)"; the
        // query and stored text are escaped, so they cannot hold its markup.
        constexpr std::string_view status = R"(<p class="meta" role="status">)";
        constexpr std::string_view unit = " ms)</p>";
        auto line = body.find(status);
        if (line == std::string_view::npos) return std::nullopt;
        end = body.find(unit, line);
        if (end == std::string_view::npos) return std::nullopt;
        auto open = body.rfind('(', end);
        if (open == std::string_view::npos || open < line) return std::nullopt;
        start = open + 1;
        if (!is_number_text(body.substr(start, end - start), "0123456789.")) return std::nullopt;
    }
    CachedAnswer answer;
    answer.head = body.substr(0, start);
    answer.tail = body.substr(end);
    answer.content_type = std::move(content_type);
    answer.took_format = format;
    return answer;
}

auto is_repeatable(const SearchResult& result) -> bool { return !result.timed_out && result.missing_shards.empty(); }

ResultCache::ResultCache(std::size_t capacity_bytes) : m_shard_capacity(capacity_bytes / shard_count) {}

auto ResultCache::shard_of(std::string_view request) -> Shard& {
    return m_shards[std::hash<std::string_view>{}(request) % shard_count];
}

auto ResultCache::epoch_of(const std::string& index_state) -> std::uint64_t {
    std::uint64_t epoch = 0;
    {
        std::lock_guard lock(m_state_mutex);
        if (index_state == m_state) return m_epoch;
        m_state = index_state;
        epoch = ++m_epoch;
    }
    // Answers of the old state are never served again (their epoch is
    // stale); dropping them frees their memory now rather than at eviction.
    clear();
    return epoch;
}

auto ResultCache::current_epoch(const std::string& index_state) const -> std::optional<std::uint64_t> {
    std::lock_guard lock(m_state_mutex);
    if (index_state != m_state) return std::nullopt;
    return m_epoch;
}

auto ResultCache::find(const std::string& index_state, std::string_view request) -> Entry {
    if (!enabled()) return nullptr;
    const auto epoch = epoch_of(index_state);
    auto& shard = shard_of(request);
    {
        std::lock_guard lock(shard.mutex);
        auto found = shard.by_request.find(request);
        if (found != shard.by_request.end() && found->second->epoch == epoch) {
            shard.recent.splice(shard.recent.begin(), shard.recent, found->second);
            m_hits.fetch_add(1, std::memory_order_relaxed);
            return found->second->answer;
        }
    }
    m_misses.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
}

void ResultCache::insert(const std::string& index_state, std::string_view request, Entry answer) {
    if (!enabled() || !answer) return;
    // Made while the index was in another state: it would never be served.
    const auto epoch = current_epoch(index_state);
    if (!epoch) return;
    const auto bytes = answer->footprint() + 2 * request.size();
    if (bytes > m_shard_capacity) return;
    auto& shard = shard_of(request);
    // Released outside the lock: the last reference frees a whole answer.
    std::list<Item> dropped;
    std::uint64_t evicted = 0;
    {
        std::lock_guard lock(shard.mutex);
        if (auto found = shard.by_request.find(request); found != shard.by_request.end()) {
            shard.bytes -= found->second->bytes;
            auto item = found->second;
            shard.by_request.erase(found);
            dropped.splice(dropped.end(), shard.recent, item);
        }
        shard.recent.push_front(Item{std::string(request), *epoch, std::move(answer), bytes});
        shard.by_request.emplace(shard.recent.front().request, shard.recent.begin());
        shard.bytes += bytes;
        while (shard.bytes > m_shard_capacity) {
            auto last = std::prev(shard.recent.end());
            shard.bytes -= last->bytes;
            shard.by_request.erase(last->request);
            dropped.splice(dropped.end(), shard.recent, last);
            ++evicted;
        }
    }
    if (evicted > 0) m_evictions.fetch_add(evicted, std::memory_order_relaxed);
}

void ResultCache::clear() {
    for (auto& shard : m_shards) {
        std::list<Item> dropped;
        std::lock_guard lock(shard.mutex);
        shard.by_request.clear();
        dropped.swap(shard.recent);
        shard.bytes = 0;
    }
}

auto ResultCache::figures() const -> ResultCacheFigures {
    ResultCacheFigures figures;
    figures.hits = m_hits.load(std::memory_order_relaxed);
    figures.misses = m_misses.load(std::memory_order_relaxed);
    figures.evictions = m_evictions.load(std::memory_order_relaxed);
    for (const auto& shard : m_shards) {
        std::lock_guard lock(shard.mutex);
        figures.bytes += shard.bytes;
        figures.entries += shard.recent.size();
    }
    return figures;
}

}  // namespace broadsheet::server
