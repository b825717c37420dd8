// Sharded generations searched as one database: locally (add_database over
// the shard directories) and through real xapian-tcpsrv processes on loopback
// (Xapian::Remote::open), through Broadsheet's own search, against the same
// corpus built as one index.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <xapian.h>

#include "broadsheet/schema/generations.hpp"
#include "broadsheet/schema/schema.hpp"
#include "broadsheet/schema/shards.hpp"
#include "broadsheet/server/errors.hpp"
#include "broadsheet/server/index_pool.hpp"
#include "broadsheet/server/query_builder.hpp"
#include "broadsheet/server/results.hpp"
#include "broadsheet/server/search_service.hpp"
#include "test_support.hpp"
#include "xapian_nodes.hpp"

using namespace broadsheet::testing;
namespace bs = broadsheet::schema;

namespace {

auto live_path(const fs::path& root) -> fs::path {
    auto live = bs::read_current_generation(root);
    REQUIRE(live.has_value());
    return root / *live;
}

auto stored_schema(const Xapian::Database& db) -> bs::Schema {
    return bs::Schema::from_string(db.get_metadata(bs::metadata::schema));
}

// ---- searching as the server searches ----------------------------------------

namespace server = broadsheet::server;

// A searcher over one database, set up as the server's pool sets one up.
auto make_searcher(Xapian::Database db, const bs::Schema& schema) -> std::unique_ptr<server::Searcher> {
    auto searcher = std::make_unique<server::Searcher>();
    auto info = std::make_shared<server::IndexInfo>();
    info->generation = "compared";  // the same in every layout, so answers compare whole
    info->schema = schema;
    info->documents = db.get_doccount();
    info->dictionary = bs::load_record_dictionary(db);  // the first database's: the front's
    searcher->db = std::move(db);
    searcher->info = std::move(info);
    searcher->info->schema.configure(searcher->parser);
    searcher->parser.set_database(searcher->db);
    searcher->parser.set_max_expansion(static_cast<Xapian::termcount>(server::ServerConfig{}.max_wildcard_expansion),
                                       Xapian::Query::WILDCARD_LIMIT_ERROR);
    return searcher;
}

// The parameters of the n-th search of a query file: every search asks for
// another mix of the features a front end must give alike, so that a sample
// of the file still covers each of them.
auto search_params(const std::string& text, std::size_t n) -> server::Params {
    server::Params params{{"q", text}};
    if (n % 3 == 0) params.emplace("op", "or");
    if (n % 4 == 0) {
        params.emplace("facets", "tag,year");
    }
    if (n % 5 == 1) params.emplace("sort", "date");
    if (n % 5 == 2) params.emplace("boost", "recency");
    if (n % 7 == 3) {
        static const std::vector<std::string> tags{"earn", "acq", "crude", "grain", "money-fx", "trade"};
        params.emplace("tag", tags[(n / 7) % tags.size()]);
    }
    if (n % 6 == 4) {
        params.emplace("from", "1987-03-01");
        params.emplace("to", "1987-03-31");
    }
    if (n % 9 == 5) params.emplace("page", "2");
    if (n % 13 == 6) params.emplace("expand", "true");
    return params;
}

// What a search answers, as the API serialises it, but the time it took.
auto answer(server::Searcher& searcher, const server::Params& params) -> nlohmann::json {
    const server::ServerConfig config;
    server::DocumentCache cache(0);
    try {
        const auto request = server::parse_search_request(params, config, searcher.info->schema);
        auto result = server::to_json(server::run_search(searcher, cache, request, config));
        result.erase("took_ms");
        return result;
    } catch (const server::ApiError& e) {
        return {{"error", e.what()}};
    }
}

// Hits of equal shown score in id order. Query expansion weighs its words
// with sums over each database, whose last bits differ between layouts, so
// two articles of (to the third decimal) equal score may swap; exactly equal
// scores are already in id order.
void order_near_ties(nlohmann::json& answer) {
    auto& hits = answer["hits"];
    if (!hits.is_array()) return;
    for (std::size_t start = 0; start < hits.size();) {
        auto end = start + 1;
        while (end < hits.size() && hits[end]["score"] == hits[start]["score"]) ++end;
        std::vector<nlohmann::json> run(hits.begin() + static_cast<std::ptrdiff_t>(start),
                                        hits.begin() + static_cast<std::ptrdiff_t>(end));
        std::sort(run.begin(), run.end(), [](const auto& a, const auto& b) { return a["id"] < b["id"]; });
        for (std::size_t i = start; i < end; ++i) {
            const auto rank = hits[i]["rank"];
            hits[i] = std::move(run[i - start]);
            hits[i]["rank"] = rank;
        }
        start = end;
    }
}

struct Agreement {
    std::size_t searches = 0;
    std::size_t with_facets = 0;
    std::size_t with_hits = 0;
};

// Every n-th search of the query files (`every` 1: all of them) answers the
// same on both searchers: hits (ids in the same order, ties included, ranks,
// scores, fields, highlighted titles and snippets), totals, facets,
// suggestions and notices.
void check_same_answers(server::Searcher& expected, server::Searcher& actual, std::size_t every, Agreement& agreement) {
    for (const auto& [index, text] : reuters_queries(every)) {
        const auto params = search_params(text, index);
        auto wanted = answer(expected, params);
        auto got = answer(actual, params);
        // A total beyond what the match counts is an estimate, which
        // depends on the layout (each shard counts up to the limit).
        if (wanted.value("total_exact", true) == false) {
            CHECK(got["total"].get<int>() >= server::ServerConfig{}.exact_total_limit);
            for (auto* answered : {&wanted, &got}) {
                answered->erase("total");
                answered->erase("total_exact");
            }
        }
        ++agreement.searches;
        if (wanted.contains("facets") && !wanted["facets"].empty()) ++agreement.with_facets;
        if (wanted.contains("hits") && !wanted["hits"].empty()) ++agreement.with_hits;
        if (params.contains("expand")) {
            order_near_ties(wanted);
            order_near_ties(got);
        }
        if (got != wanted) {
            std::string asked;
            for (const auto& [key, value] : params) asked += key + "=" + value + " ";
            FAIL_CHECK(asked << "\n differences from one index: " << nlohmann::json::diff(wanted, got).dump());
        }
    }
}

}  // namespace

TEST_CASE("Reuters searched through Broadsheet answers the same from three shards as from one index") {
    const auto corpus = shared_file("corpora/reuters21578.jsonl");
    if (!corpus) {
        MESSAGE("../shared/corpora/reuters21578.jsonl absent: skipping");
        return;
    }
    // Built once for both subcases (doctest runs the body once per subcase),
    // from every third article: building the index twice is most of the
    // test's time, and 7,000 articles still give every query set ties,
    // facets and estimated totals.
    static const auto dir = [&] {
        auto built = std::make_unique<TempDir>();
        std::ifstream in(*corpus);
        std::ofstream sample(*built / "sample.jsonl");
        std::string line;
        for (std::size_t n = 0; std::getline(in, line); ++n)
            if (n % 3 == 0) sample << line << '\n';
        sample.close();
        const auto input = (*built / "sample.jsonl").string();
        build_index(*built / "single", {input});
        build_index(*built / "sharded", {input}, {"--shards", "3"});
        return built;
    }();
    const Xapian::Database single_db(live_path(*dir / "single").string());
    const auto sharded_path = live_path(*dir / "sharded");
    const auto manifest = bs::read_shard_manifest(sharded_path);
    REQUIRE(manifest.has_value());
    REQUIRE(manifest->count == 3);
    const auto schema = stored_schema(single_db);
    // Ties are broken by id only where the id has a value slot.
    REQUIRE(schema.id_field().slot.has_value());
    auto single = make_searcher(single_db, schema);

    // The front end's combination: the local front database first (metadata,
    // spelling, synonyms), then every shard.
    const auto front = (sharded_path / bs::front_database_name).string();

    SUBCASE("local shards: every search of the query files") {
        Xapian::Database local(front);
        for (const auto& shard : manifest->shard_paths(sharded_path))
            local.add_database(Xapian::Database(shard.string()));
        REQUIRE(local.get_doccount() == single_db.get_doccount());
        CHECK(local.get_avlength() == doctest::Approx(single_db.get_avlength()).epsilon(1e-12));
        CHECK(stored_schema(local).to_string() == schema.to_string());
        auto sharded = make_searcher(local, schema);
        Agreement agreement;
        check_same_answers(*single, *sharded, 1, agreement);
        MESSAGE("local: " << agreement.searches << " searches alike, " << agreement.with_hits << " with hits, "
                          << agreement.with_facets << " with facets");
        CHECK(agreement.searches == 2800);
        CHECK(agreement.with_facets >= 600);
    }

    SUBCASE("remote shards through xapian-tcpsrv: a sample of the searches") {
        if (!have_xapian_tools("skipping the remote part")) return;
        std::vector<std::unique_ptr<TcpsrvNode>> nodes;
        for (const auto& shard : manifest->shard_paths(sharded_path))
            nodes.push_back(std::make_unique<TcpsrvNode>(shard, dir->path()));
        Xapian::Database remote(front);
        for (const auto& node : nodes) remote.add_database(node->open());
        REQUIRE(remote.get_doccount() == single_db.get_doccount());
        auto sharded = make_searcher(remote, schema);
        Agreement agreement;
        // Every 11th: the search parameters cycle through 3, 4, 5, 6, 7, 9 and
        // 13 searches, so the sample still mixes every feature.
        check_same_answers(*single, *sharded, 11, agreement);
        MESSAGE("remote: " << agreement.searches << " searches alike, " << agreement.with_hits << " with hits, "
                           << agreement.with_facets << " with facets");
        CHECK(agreement.searches == 255);
        CHECK(agreement.with_facets >= 50);
    }
}

TEST_CASE(
    "through xapian-tcpsrv a shard gives its metadata but no spelling or synonyms, so the front database is local") {
    if (!have_xapian_tools()) return;
    TempDir dir;
    build_index(dir / "index", {fixture("articles.jsonl").string()}, {"--shards", "2"});
    const auto path = live_path(dir / "index");
    const auto front_path = path / bs::front_database_name;
    const TcpsrvNode front_node(front_path, dir.path());
    const TcpsrvNode shard_node(path / bs::shard_name(0), dir.path());
    const auto remote_front = front_node.open();
    const Xapian::Database local_front(front_path.string());

    // Metadata travels (the remote protocol has a message for it)...
    CHECK(remote_front.get_metadata(bs::metadata::generation) == "gen-000001");
    CHECK(shard_node.open().get_metadata(bs::shard_metadata::index) == "0");
    CHECK(remote_front.get_metadata(bs::metadata::schema) == local_front.get_metadata(bs::metadata::schema));
    // ...the spelling and synonym tables do not: the remote backend has none.
    CHECK(local_front.get_spelling_suggestion("goverment") == "government");
    CHECK(remote_front.get_spelling_suggestion("goverment").empty());
    CHECK(local_front.synonym_keys_begin() != local_front.synonym_keys_end());
    CHECK(remote_front.synonym_keys_begin() == remote_front.synonym_keys_end());
    // And in a combination, metadata is only ever read from the first database.
    Xapian::Database shards_first(shard_node.open());
    shards_first.add_database(local_front);
    CHECK(shards_first.get_metadata(bs::shard_metadata::index) == "0");
    Xapian::Database front_first(local_front);
    front_first.add_database(shard_node.open());
    CHECK(front_first.get_metadata(bs::shard_metadata::index).empty());
    CHECK(front_first.get_spelling_suggestion("goverment") == "government");
}

TEST_CASE("a node serving a stub file switches new connections to a new generation when the stub is renamed over") {
    if (!have_xapian_tools()) return;
    TempDir dir;
    const auto root = dir / "index";
    build_index(root, {fixture("articles.jsonl").string()}, {"--shards", "2"});
    const auto first = live_path(root);
    // An id of shard 0 that the fixture does not have, for the second generation.
    std::string extra = "extra-0";
    for (int i = 1; bs::shard_of(extra, 2) != 0; ++i) extra = "extra-" + std::to_string(i);
    write_file(dir / "more.jsonl", R"({"id": ")" + extra + R"(", "title": "An extra article"})" + "\n");
    build_index(root, {fixture("articles.jsonl").string(), (dir / "more.jsonl").string()}, {"--shards", "2"});
    const auto second = live_path(root);
    REQUIRE(first != second);

    // The node's stub database file names one shard of one generation.
    const auto stub = dir / "shard-00.stub";
    auto point_stub_at = [&](const fs::path& generation) {
        write_file(dir / "shard-00.stub.tmp", "auto " + (generation / bs::shard_name(0)).string() + "\n");
        fs::rename(dir / "shard-00.stub.tmp", stub);
    };
    point_stub_at(first);
    const TcpsrvNode node(stub, dir.path());
    auto before = node.open();
    const auto documents = before.get_doccount();
    CHECK(before.get_metadata(bs::metadata::generation) == first.filename().string());

    point_stub_at(second);
    auto after = node.open();
    CHECK(after.get_metadata(bs::metadata::generation) == second.filename().string());
    CHECK(after.get_doccount() == documents + 1);
    // A connection opened before keeps its generation, reopen() included: it
    // follows revisions of the database it opened, never the stub.
    CHECK(before.get_doccount() == documents);
    (void)before.reopen();
    CHECK(before.get_metadata(bs::metadata::generation) == first.filename().string());
    CHECK(before.get_doccount() == documents);

    // A new revision of the served generation (add) reaches an open connection by reopen().
    std::string newer = extra + "-0";
    for (int i = 1; bs::shard_of(newer, 2) != 0; ++i) newer = extra + "-" + std::to_string(i);
    write_file(dir / "newer.jsonl", R"({"id": ")" + newer + R"(", "title": "Another extra"})" + "\n");
    const auto added = run({indexer_bin(), "add", "--index", root.string(), "--input", (dir / "newer.jsonl").string()});
    INFO(added.output);
    REQUIRE(added.exit_code == 0);
    CHECK(after.reopen());
    CHECK(after.get_doccount() == documents + 2);
    CHECK(node.open().get_doccount() == documents + 2);
}

TEST_CASE("a replica made by xapian-replicate from a stub master switches to a new generation whole") {
    if (!have_xapian_tools()) return;
    TempDir dir;
    const auto root = dir / "index";
    build_index(root, {fixture("articles.jsonl").string()}, {"--shards", "2"});
    const auto first = live_path(root);
    // A stable master name on the indexing machine: a stub file naming the
    // live generation's shard (relative to the stub), replaced by rename.
    const auto masters = dir / "masters";
    fs::create_directory(masters);
    auto point_master_at = [&](const fs::path& generation) {
        const auto target = fs::relative(generation / bs::shard_name(0), masters);
        write_file(masters / "shard-00.tmp", "auto " + target.string() + "\n");
        fs::rename(masters / "shard-00.tmp", masters / "shard-00");
    };
    point_master_at(first);
    const ReplicationMaster master(masters, dir.path());
    const auto replica = dir / "replica-shard-00";
    (void)master.replicate("shard-00", replica);
    const auto documents = Xapian::Database(replica.string()).get_doccount();
    CHECK(documents == bs::read_shard_manifest(first)->documents[0]);
    CHECK(Xapian::Database(replica.string()).get_metadata(bs::metadata::generation) == first.filename().string());
    const auto live_copy = read_file(replica / "XAPIANDB");

    // The node serves the replica directory (its XAPIANDB stub).
    const TcpsrvNode node(replica, dir.path());
    auto before = node.open();
    CHECK(before.get_metadata(bs::metadata::generation) == first.filename().string());

    std::string extra = "extra-0";
    for (int i = 1; bs::shard_of(extra, 2) != 0; ++i) extra = "extra-" + std::to_string(i);
    write_file(dir / "more.jsonl", R"({"id": ")" + extra + R"(", "title": "An extra article"})" + "\n");
    build_index(root, {fixture("articles.jsonl").string(), (dir / "more.jsonl").string()}, {"--shards", "2"});
    const auto second = live_path(root);
    point_master_at(second);
    // A new generation is a new database (another UUID): copied whole into the
    // replica's other directory, then made live by renaming its stub.
    (void)master.replicate("shard-00", replica);
    CHECK(read_file(replica / "XAPIANDB") != live_copy);
    auto after = node.open();
    CHECK(after.get_metadata(bs::metadata::generation) == second.filename().string());
    CHECK(after.get_doccount() == documents + 1);
    CHECK(before.get_metadata(bs::metadata::generation) == first.filename().string());
    CHECK(before.get_doccount() == documents);
}
