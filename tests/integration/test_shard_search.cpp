// Sharded generations searched as one database: locally (add_database over
// the shard directories) and through real xapian-tcpsrv processes on loopback
// (Xapian::Remote::open), against the same corpus built as one index.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xapian.h>

#include "broadsheet/schema/generations.hpp"
#include "broadsheet/schema/schema.hpp"
#include "broadsheet/schema/shards.hpp"
#include "broadsheet/server/query_builder.hpp"
#include "test_support.hpp"

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

// ---- xapian-tcpsrv on loopback ----------------------------------------------

auto tcpsrv_bin() -> std::string { return BROADSHEET_XAPIAN_TCPSRV; }
auto replicate_server_bin() -> std::string { return BROADSHEET_XAPIAN_REPLICATE_SERVER; }
auto replicate_bin() -> std::string { return BROADSHEET_XAPIAN_REPLICATE; }

// Whether the remote tests run: without xapian-tools they are skipped, except
// under CI, which has it (scripts/install-deps).
auto have_tcpsrv() -> bool {
    if (!tcpsrv_bin().empty() && !replicate_server_bin().empty() && !replicate_bin().empty()) return true;
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") FAIL("xapian-tools is not installed (scripts/install-deps)");
    MESSAGE("xapian-tools is not installed (scripts/install-deps): skipping the remote part");
    return false;
}

// A loopback port nothing listens on now (the kernel's choice of an ephemeral
// port); a server started on it may still lose a race for it, and is retried.
auto free_port() -> int {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

// Whether something accepts connections on the loopback port.
auto accepts_connections(int port) -> bool {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return connected;
}

// xapian-replicate-server serving the masters below one directory.
class ReplicationMaster {
public:
    ReplicationMaster(const fs::path& masters, const fs::path& logs) {
        for (int attempt = 0; attempt < 5; ++attempt) {
            m_port = free_port();
            m_process = std::make_unique<Process>(std::vector<std::string>{replicate_server_bin(), "--interface",
                                                                           "127.0.0.1", "--port",
                                                                           std::to_string(m_port), masters.string()},
                                                  logs / ("replicate-server-" + std::to_string(m_port) + ".log"));
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
            while (std::chrono::steady_clock::now() < deadline) {
                if (accepts_connections(m_port)) return;
                if (m_process->wait(std::chrono::milliseconds(10))) break;
            }
        }
        FAIL("xapian-replicate-server did not start; log:\n" << m_process->log());
    }

    /// One xapian-replicate pass of `master` into the replica directory.
    void replicate(const std::string& master, const fs::path& replica) const {
        const auto result = run({replicate_bin(), "--host", "127.0.0.1", "--port", std::to_string(m_port), "--master",
                                 master, "--one-shot", "--reader-time", "0", "--quiet", replica.string()});
        INFO(result.output);
        REQUIRE(result.exit_code == 0);
    }

private:
    int m_port = 0;
    std::unique_ptr<Process> m_process;
};

// One xapian-tcpsrv serving one database path (a directory or a stub file).
class ShardNode {
public:
    ShardNode(const fs::path& database, const fs::path& logs) {
        for (int attempt = 0; attempt < 5; ++attempt) {
            m_port = free_port();
            m_process = std::make_unique<Process>(std::vector<std::string>{tcpsrv_bin(), "--interface", "127.0.0.1",
                                                                           "--port", std::to_string(m_port), "--quiet",
                                                                           database.string()},
                                                  logs / ("tcpsrv-" + std::to_string(m_port) + ".log"));
            // Ready once a connection is answered; a server that exits (the
            // port was taken meanwhile) is started again on another port.
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
            while (std::chrono::steady_clock::now() < deadline) {
                try {
                    (void)open();
                    return;
                } catch (const Xapian::NetworkError&) {}
                if (m_process->wait(std::chrono::milliseconds(10))) break;
            }
        }
        FAIL("xapian-tcpsrv did not start for " << database.string() << "; log:\n" << m_process->log());
    }

    /// A new connection (and so, in the forked server process, a new open of the database).
    [[nodiscard]] auto open() const -> Xapian::Database { return Xapian::Remote::open("127.0.0.1", m_port, 10000); }

private:
    int m_port = 0;
    std::unique_ptr<Process> m_process;
};

// ---- rankings ---------------------------------------------------------------

struct Hit {
    std::string id;
    double score = 0;
};

struct Ranking {
    std::vector<Hit> hits;
    Xapian::doccount total = 0;
    std::string error;  ///< what Xapian or the query parser threw, if anything
};

auto id_of(const Xapian::Database& db, Xapian::docid did, const std::string& prefix) -> std::string {
    auto term = db.termlist_begin(did);
    term.skip_to(prefix);
    if (term == db.termlist_end(did) || !(*term).starts_with(prefix)) return "(no id)";
    return (*term).substr(prefix.size());
}

auto close_scores(double a, double b) -> bool {
    return std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

// The top `depth` hits of a query as the server parses and weights it, with exact totals.
auto rank(const Xapian::Database& db, const bs::Schema& schema, const std::string& text, Xapian::doccount depth)
    -> Ranking {
    Ranking ranking;
    try {
        Xapian::QueryParser parser;
        schema.configure(parser);
        parser.set_database(db);
        broadsheet::server::SearchRequest request;
        request.query = text;
        const auto built = broadsheet::server::build_query(request, schema, parser);
        Xapian::Enquire enquire(db);
        enquire.set_query(built.query);
        enquire.set_weighting_scheme(schema.weighting());
        const auto mset = enquire.get_mset(0, depth, db.get_doccount());
        ranking.total = mset.get_matches_estimated();
        const auto prefix = schema.id_term("");
        for (auto it = mset.begin(); it != mset.end(); ++it)
            ranking.hits.push_back({id_of(db, *it, prefix), it.get_weight()});
    } catch (const Xapian::Error& e) {
        ranking.error = e.get_description();
    } catch (const std::exception& e) {
        ranking.error = e.what();
    }
    return ranking;
}

// The top ten as runs of equal scores, each run's ids sorted: equal scores
// are ordered by document number, which depends on the layout, so a run is
// compared as a set; a run cut by the tenth place is fetched whole.
auto top_ten_runs(const Xapian::Database& db, const bs::Schema& schema, const std::string& text)
    -> std::pair<Ranking, std::vector<std::pair<double, std::vector<std::string>>>> {
    constexpr Xapian::doccount top = 10;
    auto ranking = rank(db, schema, text, top + 1);
    for (Xapian::doccount depth = 4 * (top + 1);
         ranking.error.empty() && ranking.hits.size() > top &&
         close_scores(ranking.hits.back().score, ranking.hits[top - 1].score) && ranking.hits.size() < ranking.total;
         depth *= 4)
        ranking = rank(db, schema, text, depth);
    std::vector<std::pair<double, std::vector<std::string>>> runs;
    for (std::size_t i = 0; i < ranking.hits.size(); ++i) {
        const auto& hit = ranking.hits[i];
        if (!runs.empty() && close_scores(runs.back().first, hit.score)) {
            runs.back().second.push_back(hit.id);
        } else if (i < top) {
            runs.push_back({hit.score, {hit.id}});
        } else {
            break;
        }
    }
    for (auto& run : runs) std::sort(run.second.begin(), run.second.end());
    return {ranking, runs};
}

struct Agreement {
    std::size_t queries = 0;
    std::size_t ordered_identically = 0;  ///< same ids in the same order, not only the same runs
};

// Every query of the file ranks the same on both databases: totals, scores
// to a relative 1e-9, and ids (as runs of equal scores).
void check_same_rankings(const Xapian::Database& expected_db, const Xapian::Database& actual_db,
                         const bs::Schema& schema, const fs::path& queries, Agreement& agreement) {
    std::ifstream in(queries);
    std::string text;
    while (std::getline(in, text)) {
        if (text.empty()) continue;
        CAPTURE(text);
        const auto [expected, expected_runs] = top_ten_runs(expected_db, schema, text);
        const auto [actual, actual_runs] = top_ten_runs(actual_db, schema, text);
        ++agreement.queries;
        REQUIRE(actual.error == expected.error);
        CHECK(actual.total == expected.total);
        REQUIRE(actual_runs.size() == expected_runs.size());
        for (std::size_t i = 0; i < expected_runs.size(); ++i) {
            CHECK(close_scores(actual_runs[i].first, expected_runs[i].first));
            CHECK(actual_runs[i].second == expected_runs[i].second);
        }
        bool same_order = actual.hits.size() == expected.hits.size();
        for (std::size_t i = 0; same_order && i < std::min<std::size_t>(10, expected.hits.size()); ++i)
            same_order = actual.hits[i].id == expected.hits[i].id;
        if (same_order) ++agreement.ordered_identically;
    }
}

}  // namespace

TEST_CASE("Reuters ranks the same from three shards as from one index, locally and through xapian-tcpsrv") {
    const auto corpus = shared_file("corpora/reuters21578.jsonl");
    const std::vector<std::string> query_sets{"reuters-keyword.txt", "reuters-phrase.txt", "reuters-boolean.txt"};
    if (!corpus) {
        MESSAGE("../shared/corpora/reuters21578.jsonl absent: skipping");
        return;
    }
    // Built once for both subcases (doctest runs the body once per subcase).
    static const auto dir = [&] {
        auto built = std::make_unique<TempDir>();
        build_index(*built / "single", {corpus->string()});
        build_index(*built / "sharded", {corpus->string()}, {"--shards", "3"});
        return built;
    }();
    const Xapian::Database single(live_path(*dir / "single").string());
    const auto sharded_path = live_path(*dir / "sharded");
    const auto manifest = bs::read_shard_manifest(sharded_path);
    REQUIRE(manifest.has_value());
    REQUIRE(manifest->count == 3);
    const auto schema = stored_schema(single);

    // The front end's combination: the local front database first (metadata,
    // spelling, synonyms), then every shard.
    const auto front = (sharded_path / bs::front_database_name).string();
    Xapian::Database local(front);
    for (const auto& shard : manifest->shard_paths(sharded_path)) local.add_database(Xapian::Database(shard.string()));
    REQUIRE(local.get_doccount() == single.get_doccount());
    CHECK(local.get_avlength() == doctest::Approx(single.get_avlength()).epsilon(1e-12));
    CHECK(stored_schema(local).to_string() == schema.to_string());

    SUBCASE("local shards") {
        Agreement agreement;
        for (const auto& name : query_sets) {
            const auto queries = shared_file("corpora/queries/" + name);
            REQUIRE(queries.has_value());
            check_same_rankings(single, local, schema, *queries, agreement);
        }
        MESSAGE("local: " << agreement.queries << " queries, " << agreement.ordered_identically
                          << " with the top ten in the same order (the rest differ only inside runs of equal scores)");
        CHECK(agreement.queries == 2800);
    }

    SUBCASE("remote shards") {
        if (!have_tcpsrv()) return;
        std::vector<std::unique_ptr<ShardNode>> nodes;
        for (const auto& shard : manifest->shard_paths(sharded_path))
            nodes.push_back(std::make_unique<ShardNode>(shard, dir->path()));
        Xapian::Database remote(front);
        for (const auto& node : nodes) remote.add_database(node->open());
        REQUIRE(remote.get_doccount() == single.get_doccount());
        Agreement agreement;
        for (const auto& name : query_sets) {
            const auto queries = shared_file("corpora/queries/" + name);
            REQUIRE(queries.has_value());
            check_same_rankings(single, remote, schema, *queries, agreement);
        }
        MESSAGE("remote: " << agreement.queries << " queries, " << agreement.ordered_identically
                           << " with the top ten in the same order (the rest differ only inside runs of equal scores)");
        CHECK(agreement.queries == 2800);
    }
}

TEST_CASE(
    "through xapian-tcpsrv a shard gives its metadata but no spelling or synonyms, so the front database is local") {
    if (!have_tcpsrv()) return;
    TempDir dir;
    build_index(dir / "index", {fixture("articles.jsonl").string()}, {"--shards", "2"});
    const auto path = live_path(dir / "index");
    const auto front_path = path / bs::front_database_name;
    const ShardNode front_node(front_path, dir.path());
    const ShardNode shard_node(path / bs::shard_name(0), dir.path());
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
    if (!have_tcpsrv()) return;
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
    const ShardNode node(stub, dir.path());
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
    if (!have_tcpsrv()) return;
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
    master.replicate("shard-00", replica);
    const auto documents = Xapian::Database(replica.string()).get_doccount();
    CHECK(documents == bs::read_shard_manifest(first)->documents[0]);
    CHECK(Xapian::Database(replica.string()).get_metadata(bs::metadata::generation) == first.filename().string());
    const auto live_copy = read_file(replica / "XAPIANDB");

    // The node serves the replica directory (its XAPIANDB stub).
    const ShardNode node(replica, dir.path());
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
    master.replicate("shard-00", replica);
    CHECK(read_file(replica / "XAPIANDB") != live_copy);
    auto after = node.open();
    CHECK(after.get_metadata(bs::metadata::generation) == second.filename().string());
    CHECK(after.get_doccount() == documents + 1);
    CHECK(before.get_metadata(bs::metadata::generation) == first.filename().string());
    CHECK(before.get_doccount() == documents);
}
