#include "broadsheet/server/document_cache.hpp"

namespace broadsheet::server {

namespace {

// Allocation and node overhead charged for each JSON value, list item and map entry.
constexpr std::size_t node_overhead = 64;

auto json_footprint(const nlohmann::json& value) -> std::size_t {
    std::size_t bytes = node_overhead;
    if (value.is_string()) {
        bytes += value.get_ref<const std::string&>().size();
    } else if (value.is_object()) {
        for (const auto& [key, member] : value.items()) bytes += key.size() + json_footprint(member);
    } else if (value.is_array()) {
        for (const auto& member : value) bytes += json_footprint(member);
    }
    return bytes;
}

}  // namespace

DocumentCache::DocumentCache(std::size_t capacity_bytes) : m_shard_capacity(capacity_bytes / shard_count) {}

auto DocumentCache::footprint(const schema::StoredDocument& document) -> std::size_t {
    auto chunks = document.chunks ? document.chunks->stored_bytes() : 0;
    return node_overhead + document.body.size() + chunks + json_footprint(document.fields);
}

auto DocumentCache::find(const DocumentVersion& version, Xapian::docid docid) -> Entry {
    if (!enabled()) return nullptr;
    auto& shard = shard_of(docid);
    std::lock_guard lock(shard.mutex);
    auto found = shard.by_docid.find(docid);
    if (found == shard.by_docid.end() || found->second->version != version) return nullptr;
    shard.recent.splice(shard.recent.begin(), shard.recent, found->second);
    return found->second->document;
}

void DocumentCache::insert(const DocumentVersion& version, Xapian::docid docid, Entry document) {
    if (!enabled() || !document) return;
    auto bytes = footprint(*document);
    if (bytes > m_shard_capacity) return;
    auto& shard = shard_of(docid);
    // Released outside the lock: the last reference frees a whole document.
    std::list<Item> dropped;
    {
        std::lock_guard lock(shard.mutex);
        if (auto found = shard.by_docid.find(docid); found != shard.by_docid.end()) {
            shard.bytes -= found->second->bytes;
            dropped.splice(dropped.end(), shard.recent, found->second);
            shard.by_docid.erase(found);
        }
        shard.recent.push_front(Item{docid, version, std::move(document), bytes});
        shard.by_docid.emplace(docid, shard.recent.begin());
        shard.bytes += bytes;
        while (shard.bytes > m_shard_capacity) {
            auto last = std::prev(shard.recent.end());
            shard.bytes -= last->bytes;
            shard.by_docid.erase(last->docid);
            dropped.splice(dropped.end(), shard.recent, last);
        }
    }
}

void DocumentCache::clear() {
    for (auto& shard : m_shards) {
        std::list<Item> dropped;
        std::lock_guard lock(shard.mutex);
        dropped.swap(shard.recent);
        shard.by_docid.clear();
        shard.bytes = 0;
    }
}

auto DocumentCache::bytes() const -> std::size_t {
    std::size_t total = 0;
    for (const auto& shard : m_shards) {
        std::lock_guard lock(shard.mutex);
        total += shard.bytes;
    }
    return total;
}

}  // namespace broadsheet::server
