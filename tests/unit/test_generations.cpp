#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <system_error>
#include <vector>

#include "broadsheet/indexer/generations.hpp"
#include "broadsheet/schema/generations.hpp"
#include "broadsheet/schema/shards.hpp"
#include "test_support.hpp"

using broadsheet::indexer::IndexRoot;
using broadsheet::schema::generation_name;
using broadsheet::schema::generation_number;
using broadsheet::schema::InvalidCurrentError;
using broadsheet::schema::read_current_generation;
using broadsheet::schema::write_current_generation;
using broadsheet::testing::read_file;
using broadsheet::testing::TempDir;
using broadsheet::testing::write_file;
namespace fs = std::filesystem;

// The contract (schema/generations): names and CURRENT.

TEST_CASE("generation names are gen- and the number in at least six digits") {
    CHECK(generation_name(1) == "gen-000001");
    CHECK(generation_name(42) == "gen-000042");
    CHECK(generation_name(999999) == "gen-999999");
    CHECK(generation_name(1234567) == "gen-1234567");
    CHECK(generation_name(999999999999999999) == "gen-999999999999999999");
    CHECK_THROWS_AS((void)generation_name(0), std::invalid_argument);
    CHECK_THROWS_AS((void)generation_name(-1), std::invalid_argument);
    CHECK_THROWS_AS((void)generation_name(1000000000000000000), std::invalid_argument);
}

TEST_CASE("a generation name reads back as its number") {
    for (std::int64_t number :
         {std::int64_t{1}, std::int64_t{42}, std::int64_t{999999}, std::int64_t{1000000}, std::int64_t{123456789012}}) {
        CHECK(generation_number(generation_name(number)) == number);
    }
}

TEST_CASE("anything but a generation name as generation_name writes it has no number") {
    for (const char* name : {"",
                             "gen-",
                             "gen-00001",
                             "gen-1",
                             "gen-0000001",
                             "gen-000000",
                             "gen-00000a",
                             "gen-+00001",
                             "gen--00001",
                             "Gen-000001",
                             "gen_000001",
                             "gen-000001 ",
                             " gen-000001",
                             "gen-000001\n",
                             "gen-000001/",
                             "gen-000001/..",
                             "../gen-000001",
                             "..",
                             ".",
                             "/",
                             "current",
                             "gen-1000000000000000000",
                             "gen-99999999999999999999"}) {
        INFO("name: ", name);
        CHECK_FALSE(generation_number(name).has_value());
    }
    CHECK_FALSE(generation_number(std::string("gen-000001\0", 11)).has_value());
}

TEST_CASE("a root without CURRENT has no current generation") {
    TempDir dir;
    CHECK_FALSE(read_current_generation(dir.path()).has_value());
    CHECK_FALSE(read_current_generation(dir / "no-such-root").has_value());
}

TEST_CASE("CURRENT is read with or without its newline and around ASCII whitespace") {
    TempDir dir;
    for (const char* content :
         {"gen-000003\n", "gen-000003", "gen-000003\r\n", "  gen-000003 \n\n", "\tgen-000003\t"}) {
        INFO("content: ", content);
        write_file(dir / "CURRENT", content);
        CHECK(read_current_generation(dir.path()) == "gen-000003");
    }
}

TEST_CASE("a CURRENT that names no generation is an error that says why") {
    TempDir dir;
    for (const char* content : {"", "\n", "   \n", "../../etc\n", "..\n", ".\n", "/etc\n", "gen-000001/../x\n",
                                "sub/gen-000001\n", "gen-000001\ngen-000002\n", "gen-000001 gen-000002\n", "gen-1\n",
                                "my-index\n", "gen-1000000000000000000\n"}) {
        INFO("content: ", content);
        write_file(dir / "CURRENT", content);
        CHECK_THROWS_AS((void)read_current_generation(dir.path()), InvalidCurrentError);
    }
    write_file(dir / "CURRENT", "../../etc\n");
    CHECK_THROWS_WITH_AS((void)read_current_generation(dir.path()), doctest::Contains("\"../../etc\""),
                         InvalidCurrentError);
    write_file(dir / "CURRENT", "\n");
    CHECK_THROWS_WITH_AS((void)read_current_generation(dir.path()), doctest::Contains("empty"), InvalidCurrentError);
}

TEST_CASE("an overlong CURRENT is refused without being read whole") {
    TempDir dir;
    write_file(dir / "CURRENT", "gen-000001" + std::string(1 << 20, ' '));
    CHECK_THROWS_WITH_AS((void)read_current_generation(dir.path()), doctest::Contains("longer than"),
                         InvalidCurrentError);
    write_file(dir / "CURRENT", std::string(300, '1'));
    CHECK_THROWS_AS((void)read_current_generation(dir.path()), InvalidCurrentError);
}

TEST_CASE("control bytes in a bad CURRENT are escaped in the message") {
    TempDir dir;
    write_file(dir / "CURRENT", std::string("gen\x1b[31m\0x", 10));
    try {
        (void)read_current_generation(dir.path());
        FAIL("no error");
    } catch (const InvalidCurrentError& e) {
        const std::string message = e.what();
        CHECK(message.find('\x1b') == std::string::npos);
        CHECK(message.find("\\x1b") != std::string::npos);
        CHECK(message.find("\\x00") != std::string::npos);
    }
}

TEST_CASE("a CURRENT that cannot be read is a system error") {
    TempDir dir;
    fs::create_directory(dir / "CURRENT");
    CHECK_THROWS_AS((void)read_current_generation(dir.path()), std::system_error);
}

TEST_CASE("writing CURRENT replaces it whole and leaves no temporary file") {
    TempDir dir;
    write_current_generation(dir.path(), "gen-000001");
    CHECK(broadsheet::testing::read_file(dir / "CURRENT") == "gen-000001\n");
    write_current_generation(dir.path(), "gen-000002");
    CHECK(broadsheet::testing::read_file(dir / "CURRENT") == "gen-000002\n");
    CHECK(read_current_generation(dir.path()) == "gen-000002");
    CHECK_FALSE(fs::exists(dir / "CURRENT.tmp"));
}

TEST_CASE("only a generation name can be written to CURRENT") {
    TempDir dir;
    for (const char* name : {"", "..", "../gen-000001", "gen-1", "gen-000001\n"}) {
        INFO("name: ", name);
        CHECK_THROWS_AS(write_current_generation(dir.path(), name), std::invalid_argument);
    }
    CHECK_FALSE(fs::exists(dir / "CURRENT"));
}

// The writer's view (indexer/generations): lock, staging, publish, prune.

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

TEST_CASE("a build replaces a CURRENT that names no generation") {
    TempDir dir;
    broadsheet::testing::write_file(dir / "CURRENT", "../../etc\n");
    IndexRoot root(dir.path());
    CHECK_THROWS_AS((void)root.current(), broadsheet::schema::InvalidCurrentError);
    CHECK(root.next_generation() == "gen-000001");
    root.publish("gen-000001", root.prepare_staging("gen-000001"));
    CHECK(root.current() == "gen-000001");
}

TEST_CASE("only generation names count as generations of the root") {
    TempDir dir;
    IndexRoot root(dir.path());
    for (const char* name : {"gen-000002", "gen-7", "gen-0000003", "gen-x", "other"}) fs::create_directory(dir / name);
    broadsheet::testing::write_file(dir / "gen-000009", "a file, not a generation");
    CHECK(root.generations() == std::vector<std::string>{"gen-000002"});
    CHECK(root.next_generation() == "gen-000003");
}

// The masters: stable names for xapian-replicate-server.

namespace {

auto publish_sharded(const IndexRoot& root, const std::string& generation, std::uint32_t shards) {
    auto staging = root.prepare_staging(generation);
    broadsheet::schema::write_shard_manifest(staging,
                                             broadsheet::schema::ShardManifest{generation, shards,
                                                                               std::vector<std::uint64_t>(shards, 0)});
    root.publish(generation, staging);
}

auto master_names(const fs::path& root) -> std::vector<std::string> {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(root / "masters")) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

TEST_CASE("publishing an unsharded generation points the master 'index' at it by a relative stub") {
    TempDir dir;
    IndexRoot root(dir / "index");
    root.publish("gen-000001", root.prepare_staging("gen-000001"));
    CHECK(master_names(root.root()) == std::vector<std::string>{"index"});
    CHECK(read_file(root.root() / "masters" / "index") == "auto ../gen-000001\n");
    root.publish("gen-000002", root.prepare_staging("gen-000002"));
    CHECK(read_file(root.root() / "masters" / "index") == "auto ../gen-000002\n");
    CHECK(root.master_generations() == std::vector<std::string>{"gen-000002"});
}

TEST_CASE("a sharded generation has a master for its front database and one per shard") {
    TempDir dir;
    IndexRoot root(dir.path());
    root.publish("gen-000001", root.prepare_staging("gen-000001"));
    publish_sharded(root, "gen-000002", 3);
    // The unsharded name goes: it would name a generation no longer live.
    CHECK(master_names(dir.path()) == std::vector<std::string>{"front", "shard-00", "shard-01", "shard-02"});
    CHECK(read_file(dir / "masters" / "front") == "auto ../gen-000002/front\n");
    CHECK(read_file(dir / "masters" / "shard-02") == "auto ../gen-000002/shard-02\n");
    // Fewer shards: the stub of a shard that no longer exists goes too.
    publish_sharded(root, "gen-000003", 2);
    CHECK(master_names(dir.path()) == std::vector<std::string>{"front", "shard-00", "shard-01"});
    CHECK(read_file(dir / "masters" / "shard-01") == "auto ../gen-000003/shard-01\n");
    CHECK(root.master_generations() == std::vector<std::string>{"gen-000003"});
}

TEST_CASE("pruning keeps a generation a master still names") {
    TempDir dir;
    IndexRoot root(dir.path());
    for (const char* name : {"gen-000001", "gen-000002", "gen-000003"}) root.publish(name, root.prepare_staging(name));
    // As if the last publish died between CURRENT and the masters.
    root.point_masters_at("gen-000002");
    CHECK(root.master_generations() == std::vector<std::string>{"gen-000002"});
    CHECK(root.prune(std::chrono::seconds(0)) == std::vector<std::string>{"gen-000001"});
    CHECK(root.generations() == std::vector<std::string>{"gen-000002", "gen-000003"});
    root.point_masters_at("gen-000003");
    CHECK(root.prune(std::chrono::seconds(0)) == std::vector<std::string>{"gen-000002"});
}

TEST_CASE("master stubs that name nothing of the root are ignored by pruning, and leftovers are cleared") {
    TempDir dir;
    IndexRoot root(dir.path());
    root.publish("gen-000001", root.prepare_staging("gen-000001"));
    write_file(dir / "masters" / "stray", "auto ../../elsewhere/gen-000001\n");
    write_file(dir / "masters" / ".index.tmp", "half a stub");
    CHECK(root.master_generations() == std::vector<std::string>{"gen-000001"});
    root.point_masters_at("gen-000001");
    CHECK(master_names(dir.path()) == std::vector<std::string>{"index"});
}
