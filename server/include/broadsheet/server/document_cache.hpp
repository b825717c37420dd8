#pragma once
// Stored documents kept decoded between requests.
//
// Showing a hit costs a block read of the document table, inflating the
// document and parsing its stored JSON: about a fifth of a search's time on
// short articles. Readers ask for the same articles again and again (the news
// of the day), so the decoded documents are kept, least recently shown out
// first, within a budget of bytes.

#include <array>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <xapian.h>

#include "broadsheet/schema/document.hpp"

namespace broadsheet::server {

/// Which database a document was read from: a generation at a revision
/// (a revision may change what a document id holds).
struct DocumentVersion {
    std::string generation;
    Xapian::rev revision = 0;
    auto operator==(const DocumentVersion&) const -> bool = default;
};

class DocumentCache {
public:
    using Entry = std::shared_ptr<const schema::StoredDocument>;

    /// Keeps at most about `capacity_bytes` of decoded documents; 0 keeps none.
    explicit DocumentCache(std::size_t capacity_bytes);

    /// The document if it is kept for this version, else null.
    [[nodiscard]] auto find(const DocumentVersion& version, Xapian::docid docid) -> Entry;
    /// Keeps a document just read, dropping the least recently used beyond the budget.
    void insert(const DocumentVersion& version, Xapian::docid docid, Entry document);
    /// Forgets everything (the index moved on).
    void clear();

    /// Bytes kept now, by the estimate the budget uses.
    [[nodiscard]] auto bytes() const -> std::size_t;
    [[nodiscard]] auto enabled() const -> bool { return m_shard_capacity > 0; }

    /// The estimate of what a decoded document holds in memory.
    [[nodiscard]] static auto footprint(const schema::StoredDocument& document) -> std::size_t;

private:
    struct Item {
        Xapian::docid docid;
        DocumentVersion version;
        Entry document;
        std::size_t bytes;
    };
    // Shards keep one lock from serialising every reader on a many-core machine.
    struct Shard {
        mutable std::mutex mutex;
        std::list<Item> recent;  // most recently used first
        std::unordered_map<Xapian::docid, std::list<Item>::iterator> by_docid;
        std::size_t bytes = 0;
    };
    static constexpr std::size_t shard_count = 16;

    auto shard_of(Xapian::docid docid) -> Shard& { return m_shards[docid % shard_count]; }

    std::size_t m_shard_capacity;
    std::array<Shard, shard_count> m_shards;
};

}  // namespace broadsheet::server
