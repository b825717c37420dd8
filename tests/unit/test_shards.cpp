#include <doctest/doctest.h>

#include <array>

#include "broadsheet/schema/shards.hpp"
#include "test_support.hpp"

using namespace broadsheet::schema;
using broadsheet::testing::TempDir;
using broadsheet::testing::write_file;

TEST_CASE("the shard hash is 64-bit FNV-1a, matching the published test vectors") {
    CHECK(fnv1a_64("") == 0xcbf29ce484222325ULL);
    CHECK(fnv1a_64("a") == 0xaf63dc4c8601ec8cULL);
    CHECK(fnv1a_64("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("an id's shard is its hash modulo the count, over the id's UTF-8 bytes") {
    CHECK(shard_of("anything", 1) == 0);
    CHECK(shard_of("a", 3) == 0xaf63dc4c8601ec8cULL % 3);
    // Fixed expectations: a change of hash or byte order would move every article.
    CHECK(shard_of("foobar", 7) == 0x85944171f73967e8ULL % 7);
    CHECK(shard_of("r\xc3\xa9sum\xc3\xa9", 1000) == fnv1a_64("r\xc3\xa9sum\xc3\xa9") % 1000);
    CHECK_THROWS_AS((void)shard_of("a", 0), std::invalid_argument);
    CHECK_THROWS_AS((void)shard_of("a", max_shards + 1), std::invalid_argument);
}

TEST_CASE("ids spread over the shards") {
    std::array<int, 3> counts{};
    for (int i = 0; i < 3000; ++i) ++counts.at(shard_of("article-" + std::to_string(i), 3));
    for (const int count : counts) CHECK(count > 900);
}

TEST_CASE("shard names are zero-padded to two digits and no further") {
    CHECK(shard_name(0) == "shard-00");
    CHECK(shard_name(7) == "shard-07");
    CHECK(shard_name(123) == "shard-123");
    CHECK_THROWS_AS((void)shard_name(max_shards), std::invalid_argument);
}

TEST_CASE("a manifest reads back as written") {
    TempDir dir;
    ShardManifest manifest{"gen-000007", 3, {10, 11, 12}};
    write_shard_manifest(dir.path(), manifest);
    auto read = read_shard_manifest(dir.path());
    REQUIRE(read.has_value());
    CHECK(read->generation == "gen-000007");
    CHECK(read->count == 3);
    CHECK(read->documents == std::vector<std::uint64_t>{10, 11, 12});
    auto paths = read->shard_paths(dir.path());
    REQUIRE(paths.size() == 3);
    CHECK(paths[2] == dir.path() / "shard-02");
}

TEST_CASE("a generation without a manifest is unsharded") {
    TempDir dir;
    CHECK_FALSE(read_shard_manifest(dir.path()).has_value());
}

TEST_CASE("a manifest that is not this contract's is refused with the reason") {
    const std::string good = ShardManifest{"gen-000002", 2, {1, 2}}.to_json();
    CHECK(ShardManifest::from_json(good).count == 2);
    auto replaced = [&](const std::string& from, const std::string& to) {
        auto text = good;
        const auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        return text.replace(at, from.size(), to);
    };
    struct Case {
        std::string text;
        std::string reason;
    };
    const std::vector<Case> cases{
        {"", "not a JSON object"},
        {"[1, 2]", "not a JSON object"},
        {replaced("\"format\": 1", "\"format\": 2"), "unknown format"},
        {replaced("fnv1a-64", "std::hash"), "unknown hash"},
        {replaced("\"shards\": 2", "\"shards\": 1"), "\"shards\""},
        {replaced("\"shards\": 2", "\"shards\": -2"), "\"shards\""},
        {replaced("gen-000002", "../gen-1"), "\"generation\""},
        {replaced("shard-01", "../elsewhere"), "is not named shard-01"},
        {replaced("\"front\"", "\"frontage\""), "\"front\""},
        {replaced("2\n  ]", "-2\n  ]"), "\"documents\""},
    };
    for (const auto& one : cases) {
        CAPTURE(one.text);
        try {
            (void)ShardManifest::from_json(one.text);
            FAIL("accepted");
        } catch (const InvalidShardManifestError& e) {
            CHECK(std::string(e.what()).find(one.reason) != std::string::npos);
        }
    }
    TempDir dir;
    write_file(dir / "shards.json", "{}");
    CHECK_THROWS_AS((void)read_shard_manifest(dir.path()), InvalidShardManifestError);
}
