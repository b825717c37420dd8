// Replicas of an index root kept by the stock Xapian tools: the indexer's
// master stubs (INDEX_ROOT/masters) served by a real xapian-replicate-server,
// copied by real xapian-replicate passes into replica directories, across a
// rebuild and an add.
#include <doctest/doctest.h>

#include <xapian.h>

#include "broadsheet/schema/generations.hpp"
#include "broadsheet/schema/schema.hpp"
#include "broadsheet/schema/shards.hpp"
#include "test_support.hpp"
#include "xapian_nodes.hpp"

using namespace broadsheet::testing;
namespace bs = broadsheet::schema;

namespace {

auto metadata(const fs::path& database, const std::string& key) -> std::string {
    return Xapian::Database(database.string()).get_metadata(key);
}

// The front replica first, then the shard replicas: what a front end opens (locally here).
auto combined(const fs::path& replicas, std::uint32_t shards) -> Xapian::Database {
    Xapian::Database db((replicas / bs::front_database_name).string());
    for (std::uint32_t k = 0; k < shards; ++k)
        db.add_database(Xapian::Database((replicas / bs::shard_name(k)).string()));
    return db;
}

}  // namespace

TEST_CASE("replicas of the masters follow a sharded root across an add and a rebuild") {
    if (!have_xapian_tools()) return;
    TempDir dir;
    const auto root = dir / "index";
    const auto replicas = dir / "replicas";
    build_index(root, {fixture("articles.jsonl").string()}, {"--shards", "2"});
    const ReplicationMaster server(root / "masters", dir.path());
    const std::vector<std::string> names{"front", "shard-00", "shard-01"};
    fs::create_directory(replicas);  // xapian-replicate makes the replica directory, not its parents
    for (const auto& name : names) (void)server.replicate(name, replicas / name);

    const auto manifest = bs::read_shard_manifest(root / "gen-000001");
    REQUIRE(manifest.has_value());
    for (const auto& name : names) {
        CAPTURE(name);
        CHECK(metadata(replicas / name, bs::metadata::generation) == "gen-000001");
    }
    CHECK(Xapian::Database((replicas / "front").string()).get_doccount() == 0);
    for (std::uint32_t k = 0; k < 2; ++k) {
        CHECK(metadata(replicas / bs::shard_name(k), bs::shard_metadata::index) == std::to_string(k));
        CHECK(Xapian::Database((replicas / bs::shard_name(k)).string()).get_doccount() == manifest->documents[k]);
    }
    auto copies = combined(replicas, 2);
    CHECK(copies.get_doccount() == 12);
    CHECK(copies.get_spelling_suggestion("goverment") == "government");

    // An add writes in place; with XAPIAN_MAX_CHANGESETS set it leaves a
    // changeset, and the replica's next pass applies it instead of a copy.
    const std::string id = "replicated-1";
    const auto shard = bs::shard_name(bs::shard_of(id, 2));
    write_file(dir / "more.jsonl", R"({"id": ")" + id + R"(", "title": "Zeppelins cross the ocean"})" + "\n");
    RunOptions keep_changesets;
    keep_changesets.env = {{"XAPIAN_MAX_CHANGESETS", "10"}};
    const auto added = run({indexer_bin(), "add", "--index", root.string(), "--input", (dir / "more.jsonl").string()},
                           keep_changesets);
    INFO(added.output);
    REQUIRE(added.exit_code == 0);
    const auto update = server.replicate(shard, replicas / shard);
    CHECK(update.find("0 copies, 1 changesets") != std::string::npos);
    (void)server.replicate("front", replicas / "front");
    copies = combined(replicas, 2);
    CHECK(copies.get_doccount() == 13);
    CHECK(copies.get_termfreq(bs::Schema::default_schema().id_term(id)) == 1);
    CHECK(copies.get_spelling_suggestion("zepelins") == "zeppelins");

    // A rebuild is a new database for every master: each replica is copied
    // whole into its other directory and made live by its stub.
    std::map<std::string, std::string> stubs;
    for (const auto& name : names) stubs[name] = read_file(replicas / name / "XAPIANDB");
    build_index(root, {fixture("articles.jsonl").string()}, {"--shards", "2"});
    CHECK(bs::read_current_generation(root) == "gen-000002");
    for (const auto& name : names) {
        CAPTURE(name);
        CHECK(server.replicate(name, replicas / name).find("1 copies") != std::string::npos);
        CHECK(read_file(replicas / name / "XAPIANDB") != stubs[name]);
        CHECK(metadata(replicas / name, bs::metadata::generation) == "gen-000002");
    }
    copies = combined(replicas, 2);
    CHECK(copies.get_doccount() == 12);
    CHECK(copies.get_termfreq(bs::Schema::default_schema().id_term(id)) == 0);
}

TEST_CASE("a replica of an unsharded root follows the master 'index'") {
    if (!have_xapian_tools()) return;
    TempDir dir;
    const auto root = dir / "index";
    build_index(root, {fixture("articles.jsonl").string()});
    const ReplicationMaster server(root / "masters", dir.path());
    (void)server.replicate("index", dir / "replica");
    CHECK(Xapian::Database((dir / "replica").string()).get_doccount() == 12);
    CHECK(metadata(dir / "replica", bs::metadata::generation) == "gen-000001");
    build_index(root, {fixture("articles.jsonl").string()}, {"--shards", "2"});
    // The root is sharded now: the unsharded name is gone, so the replica
    // stops following instead of serving a generation that is no longer live.
    const auto stale = server.pass("index", dir / "replica");
    CHECK(stale.exit_code != 0);
    CHECK(stale.output.find("Couldn't stat") != std::string::npos);
    CHECK(metadata(dir / "replica", bs::metadata::generation) == "gen-000001");
    CHECK(fs::exists(root / "masters" / "front"));
}
