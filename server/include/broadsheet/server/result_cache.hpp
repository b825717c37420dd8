#pragma once
// Finished search answers kept for the next identical request.
//
// News traffic repeats itself: a head of popular queries makes up much of
// what is asked. An answer is a pure function of the index (generation,
// revision, in a cluster the shards' contents) and the request, so the
// bytes sent once can be sent again while the index stays as it was: a hit
// does no matching, no snippets, no JSON or page rendering and no
// compression, and needs no place at the admission gate. Only the time
// the answer reports (took_ms) is the request's own: it is cut out of the
// kept bytes and written in for each answer.
//
// When the index moves on, everything kept is dropped at the next look-up.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "broadsheet/server/compression.hpp"
#include "broadsheet/server/results.hpp"

namespace broadsheet::server {

/// How an answer writes the time it took.
enum class TookFormat {
    json,  ///< "took_ms": a number in milliseconds, at most three decimals
    page,  ///< the results page's "(1.23 ms)"
};

/// An answer's bytes with its took_ms cut out.
struct CachedAnswer {
    std::string head;  ///< everything before the time
    std::string tail;  ///< everything after it
    std::string content_type;
    TookFormat took_format = TookFormat::json;
    std::optional<SplicedGzip> gzip;  ///< head and tail compressed, once a client asked for gzip

    /// The time as the answer writes it.
    [[nodiscard]] auto took_text(double took_ms) const -> std::string;
    /// The plain body reporting `took_ms`.
    [[nodiscard]] auto body(double took_ms) const -> std::string;
    [[nodiscard]] auto plain_size(double took_ms) const -> std::size_t;
    /// The bytes it holds in memory, by the estimate the budget uses.
    [[nodiscard]] auto footprint() const -> std::size_t;
};

/// An answer cut around its reported time, or nothing when the time cannot
/// be found where `format` writes it (then the answer is not kept).
[[nodiscard]] auto cut_at_took(std::string_view body, std::string content_type, TookFormat format)
    -> std::optional<CachedAnswer>;

/// Whether an answer is a pure function of the index and the request, so
/// that it may be sent again: not when matching stopped at the time limit,
/// nor when shards were missing (partial), where another run may find more.
[[nodiscard]] auto is_repeatable(const SearchResult& result) -> bool;

/// Counters and gauges for /metrics.
struct ResultCacheFigures {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t evictions = 0;  ///< answers dropped for room (not for a new index)
    std::uint64_t bytes = 0;
    std::uint64_t entries = 0;
};

class ResultCache {
public:
    using Entry = std::shared_ptr<const CachedAnswer>;

    /// Keeps at most about `capacity_bytes` of answers; 0 keeps none.
    explicit ResultCache(std::size_t capacity_bytes);

    [[nodiscard]] auto enabled() const -> bool { return m_shard_capacity > 0; }

    /// The answer kept for `request` while the index is in `index_state`, else
    /// null; counts a hit or a miss. A state other than the last one seen
    /// means the index moved on: every answer kept is dropped.
    [[nodiscard]] auto find(const std::string& index_state, std::string_view request) -> Entry;
    /// Keeps (or replaces) the answer to `request` made in `index_state`;
    /// ignored when the index has moved on since, or when it is too large.
    void insert(const std::string& index_state, std::string_view request, Entry answer);
    /// Forgets every answer.
    void clear();

    [[nodiscard]] auto figures() const -> ResultCacheFigures;

private:
    struct Item {
        std::string request;
        std::uint64_t epoch;  ///< which index state the answer was made in
        Entry answer;
        std::size_t bytes;
    };
    // Shards keep one lock from serialising every hit on a many-core machine.
    struct Shard {
        mutable std::mutex mutex;
        std::list<Item> recent;                                                      // most recently used first
        std::unordered_map<std::string_view, std::list<Item>::iterator> by_request;  // keys point into recent
        std::size_t bytes = 0;
    };
    static constexpr std::size_t shard_count = 16;

    /// The epoch of `index_state`, moving to it (and dropping everything) when
    /// it is not the current one.
    auto epoch_of(const std::string& index_state) -> std::uint64_t;
    /// The current epoch if `index_state` is current, else nothing.
    auto current_epoch(const std::string& index_state) const -> std::optional<std::uint64_t>;
    auto shard_of(std::string_view request) -> Shard&;

    std::size_t m_shard_capacity;
    std::array<Shard, shard_count> m_shards;
    mutable std::mutex m_state_mutex;
    std::string m_state;        // guarded by m_state_mutex
    std::uint64_t m_epoch = 0;  // guarded by m_state_mutex; moves with m_state
    std::atomic<std::uint64_t> m_hits{0};
    std::atomic<std::uint64_t> m_misses{0};
    std::atomic<std::uint64_t> m_evictions{0};
};

}  // namespace broadsheet::server
