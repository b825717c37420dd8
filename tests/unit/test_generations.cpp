#include <doctest/doctest.h>

#include "broadsheet/indexer/generations.hpp"
#include "test_support.hpp"

using broadsheet::indexer::IndexRoot;
using broadsheet::indexer::read_current_generation;
using broadsheet::testing::TempDir;
namespace fs = std::filesystem;

TEST_CASE("a new root has no current generation and starts numbering at one") {
    TempDir dir;
    IndexRoot root(dir / "index");
    CHECK_FALSE(root.current().has_value());
    CHECK(root.next_generation() == "gen-000001");
    CHECK(fs::exists(dir / "index" / ".lock"));
}

TEST_CASE("publishing moves the staging directory into place and points CURRENT at it") {
    TempDir dir;
    IndexRoot root(dir.path());
    auto staging = root.prepare_staging("gen-000001");
    broadsheet::testing::write_file(staging / "data", "x");
    root.publish("gen-000001", staging);
    CHECK(root.current() == "gen-000001");
    CHECK(read_current_generation(dir.path()) == "gen-000001");
    CHECK(fs::exists(dir / "gen-000001" / "data"));
    CHECK_FALSE(fs::exists(staging));
    CHECK_FALSE(fs::exists(dir / "CURRENT.tmp"));
    CHECK(root.next_generation() == "gen-000002");
}

TEST_CASE("leftovers of a dead build are cleared when the next build starts") {
    TempDir dir;
    IndexRoot root(dir.path());
    fs::create_directories(dir / ".staging-gen-000007" / "junk");
    auto staging = root.prepare_staging("gen-000001");
    CHECK_FALSE(fs::exists(dir / ".staging-gen-000007"));
    CHECK(fs::exists(staging));
}

TEST_CASE("pruning removes retired generations but never the current one") {
    TempDir dir;
    IndexRoot root(dir.path());
    for (const char* name : {"gen-000001", "gen-000002", "gen-000003"}) root.publish(name, root.prepare_staging(name));
    CHECK(root.prune(std::chrono::seconds(3600)).empty());  // within the grace period
    auto removed = root.prune(std::chrono::seconds(0));
    CHECK(removed == std::vector<std::string>{"gen-000001", "gen-000002"});
    CHECK(root.generations() == std::vector<std::string>{"gen-000003"});
    CHECK(root.current() == "gen-000003");
}

TEST_CASE("a CURRENT file that names no generation is ignored") {
    TempDir dir;
    broadsheet::testing::write_file(dir / "CURRENT", "../../etc\n");
    CHECK_FALSE(read_current_generation(dir.path()).has_value());
}
