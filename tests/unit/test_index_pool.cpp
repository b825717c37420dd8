#include <doctest/doctest.h>

#include <chrono>

#include "broadsheet/indexer/index_builder.hpp"
#include "broadsheet/server/errors.hpp"
#include "broadsheet/server/index_pool.hpp"
#include "test_support.hpp"

using broadsheet::server::IndexWatcher;
using broadsheet::server::SearcherPool;
using broadsheet::testing::TempDir;
using broadsheet::testing::write_file;
namespace fs = std::filesystem;

namespace {

constexpr std::chrono::milliseconds poll{1000};  // refresh() is called by hand below

auto build(const fs::path& root, std::uint32_t shards = 1) -> std::string {
    broadsheet::indexer::BuildOptions options;
    options.index_root = root;
    options.shards = shards;
    options.inputs = {broadsheet::testing::fixture("articles.jsonl").string()};
    return broadsheet::indexer::build_index(options).generation;
}

}  // namespace

TEST_CASE("the watcher serves the generation CURRENT names") {
    TempDir dir;
    const auto generation = build(dir.path());
    IndexWatcher watcher(dir.path(), poll);
    CHECK(watcher.refresh());
    REQUIRE(watcher.info());
    CHECK(watcher.info()->generation == generation);
    CHECK(watcher.info()->documents == 12);
    CHECK_FALSE(watcher.problem().has_value());
}

TEST_CASE("a root with nothing published is not a fault, only not ready") {
    TempDir dir;
    IndexWatcher watcher(dir.path(), poll);
    CHECK_FALSE(watcher.refresh());
    CHECK_FALSE(watcher.info());
    CHECK_FALSE(watcher.problem().has_value());
    SearcherPool pool(watcher, 100);
    CHECK_THROWS_AS((void)pool.acquire(), broadsheet::server::ApiError);
}

TEST_CASE("a CURRENT that names no generation opens nothing and says why") {
    TempDir dir;
    for (const char* content : {"../../etc\n", "\n", "gen-000001/../..\n", "gen-1\n"}) {
        INFO("content: ", content);
        write_file(dir / "CURRENT", content);
        IndexWatcher watcher(dir.path(), poll);
        CHECK_FALSE(watcher.refresh());
        CHECK_FALSE(watcher.info());
        REQUIRE(watcher.problem().has_value());
        CHECK(watcher.problem()->find("CURRENT") != std::string::npos);
    }
}

TEST_CASE("a sharded generation is refused with the reason, and what is open keeps serving") {
    TempDir dir;
    const auto single = build(dir.path());
    IndexWatcher watcher(dir.path(), poll);
    REQUIRE(watcher.refresh());
    const auto sharded = build(dir.path(), 3);
    CHECK_FALSE(watcher.refresh());
    REQUIRE(watcher.problem().has_value());
    CHECK(watcher.problem()->find(sharded + " is split into 3 shards") != std::string::npos);
    REQUIRE(watcher.info());
    CHECK(watcher.info()->generation == single);

    IndexWatcher fresh(dir.path(), poll);
    CHECK_FALSE(fresh.refresh());
    CHECK_FALSE(fresh.info());
    REQUIRE(fresh.problem().has_value());
    CHECK(fresh.problem()->find("--shards 1") != std::string::npos);
}

TEST_CASE("a CURRENT spoilt under a live generation keeps it serving, not ready, until repaired") {
    TempDir dir;
    const auto generation = build(dir.path());
    IndexWatcher watcher(dir.path(), poll);
    REQUIRE(watcher.refresh());
    SearcherPool pool(watcher, 100);

    write_file(dir / "CURRENT", "../" + generation + "\n");
    CHECK_FALSE(watcher.refresh());
    REQUIRE(watcher.problem().has_value());
    CHECK(watcher.problem()->find("names no generation") != std::string::npos);
    REQUIRE(watcher.info());
    CHECK(watcher.info()->generation == generation);
    {
        auto lease = pool.acquire();  // searches go on from the open generation
        CHECK(lease->db.get_doccount() == 12);
    }

    write_file(dir / "CURRENT", generation + "\n");
    watcher.refresh();
    CHECK_FALSE(watcher.problem().has_value());
    CHECK(watcher.info()->generation == generation);
}
