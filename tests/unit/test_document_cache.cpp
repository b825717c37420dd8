#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "broadsheet/server/document_cache.hpp"

using broadsheet::schema::StoredDocument;
using broadsheet::server::DocumentCache;
using broadsheet::server::DocumentVersion;

namespace {

auto document(const std::string& title, std::size_t body_bytes = 100) -> DocumentCache::Entry {
    return std::make_shared<const StoredDocument>(StoredDocument{nlohmann::json{{"title", title}, {"tags", {"a", "b"}}},
                                                                 std::string(body_bytes, 'x'), std::nullopt});
}

const DocumentVersion first{"gen-000001", 3};

}  // namespace

TEST_CASE("a kept document is found again for the same generation and revision") {
    DocumentCache cache(1024 * 1024);
    CHECK(cache.find(first, 7) == nullptr);
    cache.insert(first, 7, document("Oil prices"));
    auto found = cache.find(first, 7);
    REQUIRE(found != nullptr);
    CHECK(found->fields["title"] == "Oil prices");
    CHECK(found->body.size() == 100);
    CHECK(cache.find(first, 8) == nullptr);
}

TEST_CASE("a document kept for another revision or generation is not found") {
    DocumentCache cache(1024 * 1024);
    cache.insert(first, 7, document("Oil prices"));
    CHECK(cache.find(DocumentVersion{"gen-000001", 4}, 7) == nullptr);
    CHECK(cache.find(DocumentVersion{"gen-000002", 3}, 7) == nullptr);
    cache.insert(DocumentVersion{"gen-000001", 4}, 7, document("Oil prices fall"));
    CHECK(cache.find(DocumentVersion{"gen-000001", 4}, 7)->fields["title"] == "Oil prices fall");
    CHECK(cache.find(first, 7) == nullptr);
}

TEST_CASE("the least recently used documents are dropped to stay within the budget") {
    const auto each = DocumentCache::footprint(*document("t", 1000));
    // Documents 16 apart share a shard; each shard gets a sixteenth of the budget: three documents.
    DocumentCache cache(16 * (3 * each + each / 2));
    cache.insert(first, 16, document("t", 1000));
    cache.insert(first, 32, document("t", 1000));
    cache.insert(first, 48, document("t", 1000));
    CHECK(cache.find(first, 16) != nullptr);  // now the most recently used
    cache.insert(first, 64, document("t", 1000));
    CHECK(cache.find(first, 32) == nullptr);
    CHECK(cache.find(first, 16) != nullptr);
    CHECK(cache.find(first, 48) != nullptr);
    CHECK(cache.find(first, 64) != nullptr);
    CHECK(cache.bytes() == 3 * each);
}

TEST_CASE("a document larger than its share of the budget is not kept") {
    DocumentCache cache(16 * 1024);
    cache.insert(first, 1, document("t", 4096));
    CHECK(cache.find(first, 1) == nullptr);
    CHECK(cache.bytes() == 0);
}

TEST_CASE("a cache of size zero keeps nothing and clear forgets everything") {
    DocumentCache off(0);
    CHECK_FALSE(off.enabled());
    off.insert(first, 1, document("t"));
    CHECK(off.find(first, 1) == nullptr);

    DocumentCache cache(1024 * 1024);
    cache.insert(first, 1, document("t"));
    cache.insert(first, 2, document("u"));
    cache.clear();
    CHECK(cache.find(first, 1) == nullptr);
    CHECK(cache.find(first, 2) == nullptr);
    CHECK(cache.bytes() == 0);
}

TEST_CASE("a document still in use stays valid after it is dropped from the cache") {
    DocumentCache cache(1024 * 1024);
    cache.insert(first, 1, document("kept"));
    auto held = cache.find(first, 1);
    cache.clear();
    REQUIRE(held != nullptr);
    CHECK(held->fields["title"] == "kept");
}
