#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include <xapian.h>

#include "broadsheet/indexer/generations.hpp"
#include "broadsheet/indexer/index_builder.hpp"
#include "broadsheet/schema/document.hpp"
#include "broadsheet/schema/field_stems.hpp"
#include "broadsheet/schema/record_dictionary.hpp"
#include "broadsheet/schema/schema.hpp"
#include "broadsheet/schema/shards.hpp"
#include "test_support.hpp"

using namespace broadsheet::indexer;
using broadsheet::testing::fixture;
using broadsheet::testing::TempDir;
using broadsheet::testing::write_file;

namespace {

auto options_for(const TempDir& dir, std::vector<std::string> inputs) -> BuildOptions {
    BuildOptions options;
    options.index_root = dir / "index";
    options.inputs = std::move(inputs);
    return options;
}

auto open_live(const TempDir& dir) -> Xapian::Database {
    auto live = read_current_generation(dir / "index");
    REQUIRE(live.has_value());
    return Xapian::Database((dir / "index" / *live).string());
}

// Every term with its frequencies, the document lengths and the spelling
// table: what ranking and suggestions read.
auto fingerprint(const Xapian::Database& db) -> std::string {
    std::string text = std::to_string(db.get_doccount()) + " " + std::to_string(db.get_total_length()) + "\n";
    for (auto term = db.allterms_begin(); term != db.allterms_end(); ++term)
        text += *term + " " + std::to_string(term.get_termfreq()) + " " +
                std::to_string(db.get_collection_freq(*term)) + "\n";
    for (auto word = db.spellings_begin(); word != db.spellings_end(); ++word)
        text += "spelling " + *word + " " + std::to_string(word.get_termfreq()) + "\n";
    const std::string exceptions(broadsheet::schema::metadata::stem_exceptions);
    for (auto key = db.metadata_keys_begin(exceptions); key != db.metadata_keys_end(exceptions); ++key)
        text += "listed " + *key + " " + db.get_metadata(*key) + "\n";
    return text;
}

}  // namespace

TEST_CASE("a build publishes a verified generation with its schema and spelling data") {
    TempDir dir;
    auto summary = build_index(options_for(dir, {fixture("articles.jsonl").string()}));
    CHECK(summary.generation == "gen-000001");
    CHECK(summary.documents == 12);
    CHECK(summary.total_documents == 12);
    CHECK(summary.bad_records == 0);
    CHECK(summary.index_bytes > 0);
    auto db = open_live(dir);
    CHECK(db.get_doccount() == 12);
    CHECK(db.get_metadata(broadsheet::schema::metadata::schema) ==
          broadsheet::schema::Schema::default_schema().to_string());
    CHECK_FALSE(db.get_metadata(broadsheet::schema::metadata::built_at).empty());
    CHECK(db.get_spelling_suggestion("goverment") == "government");
    CHECK(format_summary(summary).find("indexed 12 documents (0 bad)") != std::string::npos);
}

TEST_CASE("a bad record fails the build, names file and line, and leaves the live index untouched") {
    TempDir dir;
    (void)build_index(options_for(dir, {fixture("articles.jsonl").string()}));
    try {
        (void)build_index(options_for(dir, {fixture("bad_record.jsonl").string()}));
        FAIL("the build succeeded");
    } catch (const BuildError& e) {
        CHECK(std::string(e.what()).find("bad_record.jsonl:4") != std::string::npos);
    }
    CHECK(read_current_generation(dir / "index") == "gen-000001");
    CHECK(open_live(dir).get_doccount() == 12);
    for (const auto& entry : std::filesystem::directory_iterator(dir / "index"))
        CHECK(entry.path().filename().string().rfind(".staging", 0) != 0);
}

TEST_CASE("with skip_bad the bad records are counted and the rest published") {
    TempDir dir;
    auto options = options_for(dir, {fixture("bad_record.jsonl").string()});
    options.skip_bad = true;
    auto summary = build_index(options);
    CHECK(summary.bad_records == 1);
    CHECK(summary.documents == 4);
}

TEST_CASE("records failing schema validation are bad records too") {
    TempDir dir;
    write_file(dir / "in.jsonl", "{\"id\": \"a\", \"title\": \"ok\"}\n{\"title\": \"no id\"}\n");
    CHECK_THROWS_WITH_AS((void)build_index(options_for(dir, {(dir / "in.jsonl").string()})),
                         doctest::Contains("in.jsonl:2: missing id"), BuildError);
}

TEST_CASE("an empty input publishes nothing unless allowed") {
    TempDir dir;
    write_file(dir / "empty.jsonl", "");
    CHECK_THROWS_AS((void)build_index(options_for(dir, {(dir / "empty.jsonl").string()})), BuildError);
    CHECK_FALSE(read_current_generation(dir / "index").has_value());
    auto options = options_for(dir, {(dir / "empty.jsonl").string()});
    options.allow_empty = true;
    CHECK(build_index(options).total_documents == 0);
}

TEST_CASE("add upserts by id in the live generation and delete removes by id") {
    TempDir dir;
    (void)build_index(options_for(dir, {fixture("articles.jsonl").string()}));
    write_file(dir / "more.jsonl",
               "{\"id\": \"a001\", \"title\": \"Replaced headline about zeppelins\"}\n"
               "{\"id\": \"new1\", \"title\": \"A brand new article\"}\n");
    auto added = add_documents(options_for(dir, {(dir / "more.jsonl").string()}));
    CHECK(added.generation == "gen-000001");
    CHECK(added.documents == 2);
    CHECK(added.total_documents == 13);
    auto db = open_live(dir);
    CHECK(db.get_termfreq("zeppelins") == 1);
    CHECK(db.get_termfreq("Qa001") == 1);

    auto deleted = delete_documents(dir / "index", {"new1", "missing"});
    CHECK(deleted.deleted == std::vector<std::string>{"new1"});
    CHECK(deleted.not_found == std::vector<std::string>{"missing"});
    CHECK(open_live(dir).get_doccount() == 12);
}

TEST_CASE("a failed add changes nothing") {
    TempDir dir;
    (void)build_index(options_for(dir, {fixture("articles.jsonl").string()}));
    write_file(dir / "more.jsonl", "{\"id\": \"z1\", \"title\": \"fine\"}\nnot json\n");
    CHECK_THROWS_AS((void)add_documents(options_for(dir, {(dir / "more.jsonl").string()})), BuildError);
    auto db = open_live(dir);
    CHECK(db.get_doccount() == 12);
    CHECK(db.get_termfreq("Qz1") == 0);
}

TEST_CASE("add without a built index explains what to do") {
    TempDir dir;
    CHECK_THROWS_WITH_AS((void)add_documents(options_for(dir, {fixture("articles.jsonl").string()})),
                         doctest::Contains("run build first"), BuildError);
}

TEST_CASE("a rebuild publishes the next generation and keeps the previous one within the grace period") {
    TempDir dir;
    (void)build_index(options_for(dir, {fixture("articles.jsonl").string()}));
    auto second = build_index(options_for(dir, {fixture("articles.jsonl").string()}));
    CHECK(second.generation == "gen-000002");
    CHECK(std::filesystem::exists(dir / "index" / "gen-000001"));
    auto options = options_for(dir, {fixture("articles.jsonl").string()});
    options.prune_grace = std::chrono::seconds(0);
    (void)build_index(options);
    CHECK_FALSE(std::filesystem::exists(dir / "index" / "gen-000001"));
    CHECK_FALSE(std::filesystem::exists(dir / "index" / "gen-000002"));
    CHECK(std::filesystem::exists(dir / "index" / "gen-000003"));
}

TEST_CASE("article text files are indexed with the file name as id") {
    TempDir dir;
    auto summary = build_index(options_for(dir, {fixture("text").string()}));
    CHECK(summary.documents >= 3);
    auto db = open_live(dir);
    CHECK(db.get_termfreq("Qferry_timetable") == 1);
}

TEST_CASE("a tag too long for a Xapian term is a bad record with file and line, never a crash") {
    TempDir dir;
    const std::string long_tag(300, 't');
    write_file(dir / "tags.jsonl",
               "{\"id\": \"ok1\", \"title\": \"fine\", \"tags\": [\"short\"]}\n"
               "{\"id\": \"long\", \"title\": \"too long a tag\", \"tags\": [\"short\", \"" +
                   long_tag +
                   "\"]}\n"
                   "{\"id\": \"ok2\", \"title\": \"fine too\", \"tags\": \"" +
                   std::string(244, 'u') + "\"}\n");
    auto options = options_for(dir, {(dir / "tags.jsonl").string()});
    CHECK_THROWS_WITH_AS((void)build_index(options),
                         doctest::Contains("tags.jsonl:2: field 'tags': a value of 300 bytes is too long"), BuildError);
    CHECK_FALSE(read_current_generation(dir / "index").has_value());

    options.skip_bad = true;
    auto summary = build_index(options);
    CHECK(summary.bad_records == 1);
    CHECK(summary.documents == 2);
    auto db = open_live(dir);
    CHECK(db.get_doccount() == 2);
    CHECK(db.get_termfreq("Kshort") == 1);
    CHECK(db.get_termfreq("K" + std::string(244, 'u')) == 1);  // the longest tag that fits
}

TEST_CASE("add refuses a tag too long for a Xapian term as a bad record") {
    TempDir dir;
    (void)build_index(options_for(dir, {fixture("articles.jsonl").string()}));
    write_file(dir / "more.jsonl",
               "{\"id\": \"n1\", \"title\": \"fine\"}\n"
               "{\"id\": \"n2\", \"title\": \"x\", \"tags\": \"" +
                   std::string(400, 'v') + "\"}\n");
    CHECK_THROWS_WITH_AS((void)add_documents(options_for(dir, {(dir / "more.jsonl").string()})),
                         doctest::Contains("more.jsonl:2: field 'tags'"), BuildError);
    CHECK(open_live(dir).get_doccount() == 12);
    auto options = options_for(dir, {(dir / "more.jsonl").string()});
    options.skip_bad = true;
    auto summary = add_documents(options);
    CHECK(summary.bad_records == 1);
    CHECK(summary.total_documents == 13);
}

TEST_CASE("words longer than a term can be are left out of the text, the rest is indexed") {
    // Xapian's TermGenerator skips words over 64 bytes, so a run of letters in
    // a body (a base64 blob, a URL) never makes an oversize term.
    TempDir dir;
    const std::string blob(1000, 'a');
    write_file(dir / "in.jsonl", "{\"id\": \"w1\", \"title\": \"Blob " + blob + " headline\", \"body\": \"before " +
                                     blob + " after\"}\n");
    auto summary = build_index(options_for(dir, {(dir / "in.jsonl").string()}));
    CHECK(summary.documents == 1);
    auto db = open_live(dir);
    CHECK(db.get_termfreq("after") == 1);
    CHECK(db.get_termfreq("Sheadlin") + db.get_termfreq("Sheadline") >= 1);
    for (auto term = db.allterms_begin(); term != db.allterms_end(); ++term) CHECK((*term).size() <= 245);
}

TEST_CASE("add commits in batches of commit_every documents and a later failure keeps the committed batches") {
    TempDir dir;
    (void)build_index(options_for(dir, {fixture("articles.jsonl").string()}));
    auto revision_before = open_live(dir).get_revision();
    std::string input;
    for (int i = 0; i < 5; ++i)
        input += "{\"id\": \"b" + std::to_string(i) + "\", \"title\": \"batch " + std::to_string(i) + "\"}\n";
    write_file(dir / "five.jsonl", input);
    auto options = options_for(dir, {(dir / "five.jsonl").string()});
    options.commit_every = 2;
    auto summary = add_documents(options);
    CHECK(summary.total_documents == 17);
    CHECK(open_live(dir).get_revision() == revision_before + 3);  // 2 + 2 + 1

    write_file(dir / "bad.jsonl",
               "{\"id\": \"c1\", \"title\": \"x\"}\n{\"id\": \"c2\", \"title\": \"x\"}\n"
               "{\"id\": \"c3\", \"title\": \"x\"}\nnot json\n");
    auto failing = options_for(dir, {(dir / "bad.jsonl").string()});
    failing.commit_every = 2;
    CHECK_THROWS_WITH_AS((void)add_documents(failing), doctest::Contains("bad.jsonl:4"), BuildError);
    auto db = open_live(dir);
    CHECK(db.get_doccount() == 19);  // c1 and c2 were committed, c3 was not
    CHECK(db.get_termfreq("Qc2") == 1);
    CHECK(db.get_termfreq("Qc3") == 0);
}

TEST_CASE("a build keeps the fields' words unstemmed and lists the words their stems cannot find") {
    namespace bs = broadsheet::schema;
    TempDir dir;
    write_file(dir / "dying.jsonl",
               "{\"id\": \"d1\", \"title\": \"Dying trades\", \"body\": \"Lying low, the markets died.\"}\n"
               "{\"id\": \"d2\", \"title\": \"Markets\", \"body\": \"Tying up the loose ends.\"}\n");
    auto options = options_for(dir, {fixture("articles.jsonl").string(), (dir / "dying.jsonl").string()});
    options.jobs = 2;
    (void)build_index(options);
    auto db = open_live(dir);
    CHECK(db.get_metadata(bs::metadata::field_terms) == bs::metadata::unstemmed_field_terms);
    CHECK(db.get_termfreq("Sdying") == 1);
    CHECK(db.get_termfreq("Zdie") == 1);  // the unprefixed words keep their stems
    for (const char* prefix : {"ZS", "ZXBODY", "ZXSUB"}) {
        INFO(prefix);
        CHECK(db.allterms_begin(prefix) == db.allterms_end(prefix));
    }
    CHECK(db.get_metadata(bs::stem_exceptions_key("die")) == "dying");
    CHECK(db.get_metadata(bs::stem_exceptions_key("lie")) == "lying");
    CHECK(db.get_metadata(bs::stem_exceptions_key("tie")) == "tying");
    CHECK(db.get_metadata(bs::stem_exceptions_key("market")).empty());
}

TEST_CASE("the front database of a sharded generation lists the stem exceptions") {
    namespace bs = broadsheet::schema;
    TempDir dir;
    write_file(dir / "dying.jsonl", "{\"id\": \"d1\", \"title\": \"Dying trades\"}\n");
    auto options = options_for(dir, {fixture("articles.jsonl").string(), (dir / "dying.jsonl").string()});
    options.shards = 2;
    auto summary = build_index(options);
    Xapian::Database front((summary.path / bs::front_database_name).string());
    CHECK(front.get_metadata(bs::metadata::field_terms) == bs::metadata::unstemmed_field_terms);
    CHECK(front.get_metadata(bs::stem_exceptions_key("die")) == "dying");
}

TEST_CASE("add keeps the fields' stemmed twins in a generation built with them, and lists exceptions") {
    namespace bs = broadsheet::schema;
    TempDir dir;
    (void)build_index(options_for(dir, {fixture("articles.jsonl").string()}));
    write_file(dir / "more.jsonl", "{\"id\": \"z1\", \"title\": \"Zeppelins flying\", \"body\": \"Dying.\"}\n");
    (void)add_documents(options_for(dir, {(dir / "more.jsonl").string()}));
    CHECK(open_live(dir).get_termfreq("ZSzeppelin") == 0);
    CHECK(open_live(dir).get_metadata(bs::stem_exceptions_key("die")) == "dying");
    {
        // As an indexer that knew no field_terms left it.
        auto live = read_current_generation(dir / "index");
        REQUIRE(live.has_value());
        Xapian::WritableDatabase db((dir / "index" / *live).string(), Xapian::DB_OPEN);
        db.set_metadata(bs::metadata::field_terms, "");
        db.commit();
    }
    write_file(dir / "older.jsonl", "{\"id\": \"z2\", \"title\": \"Zeppelins landing\"}\n");
    (void)add_documents(options_for(dir, {(dir / "older.jsonl").string()}));
    auto db = open_live(dir);
    CHECK(db.get_termfreq("ZSzeppelin") == 1);
    CHECK(db.get_termfreq("Szeppelins") == 2);
}

TEST_CASE("add commits every 10,000 documents unless told otherwise") { CHECK(BuildOptions{}.commit_every == 10000); }

TEST_CASE("a record over the record limit fails the build with file and line") {
    TempDir dir;
    write_file(dir / "in.jsonl",
               "{\"id\": \"a\", \"title\": \"ok\"}\n{\"id\": \"b\", \"body\": \"" + std::string(2000, 'x') + "\"}\n");
    auto options = options_for(dir, {(dir / "in.jsonl").string()});
    options.source.max_record_bytes = 1000;
    CHECK_THROWS_WITH_AS((void)build_index(options), doctest::Contains("in.jsonl:2: line longer than 1000 bytes"),
                         BuildError);
    options.skip_bad = true;
    CHECK(build_index(options).bad_records == 1);
}

TEST_CASE("the index is the same whatever the number of writers and however often they commit") {
    TempDir one_writer;
    auto options = options_for(one_writer, {fixture("articles.jsonl").string()});
    options.jobs = 1;
    options.flush_bytes = std::uint64_t{1} << 30;
    (void)build_index(options);
    TempDir many_commits;
    options = options_for(many_commits, {fixture("articles.jsonl").string()});
    options.jobs = 3;
    options.flush_bytes = 1;  // a commit after every document
    (void)build_index(options);
    auto expected = fingerprint(open_live(one_writer));
    CHECK(expected.find("spelling government ") != std::string::npos);
    CHECK(fingerprint(open_live(many_commits)) == expected);
}

namespace {

namespace bs = broadsheet::schema;

// The live generation as the front end combines it: the front database
// first (its metadata, spelling and synonyms), then the shards in order.
auto open_live_shards(const TempDir& dir) -> Xapian::Database {
    auto live = read_current_generation(dir / "index");
    REQUIRE(live.has_value());
    const auto path = dir / "index" / *live;
    auto manifest = bs::read_shard_manifest(path);
    REQUIRE(manifest.has_value());
    Xapian::Database all((path / bs::front_database_name).string());
    for (const auto& shard : manifest->shard_paths(path)) all.add_database(Xapian::Database(shard.string()));
    return all;
}

// The ids (unique-id terms) a database holds.
auto ids_in(const Xapian::Database& db) -> std::vector<std::string> {
    const auto prefix = bs::Schema::default_schema().id_term("");
    std::vector<std::string> ids;
    for (auto term = db.allterms_begin(prefix); term != db.allterms_end(prefix); ++term)
        ids.push_back((*term).substr(prefix.size()));
    return ids;
}

auto sharded_options(const TempDir& dir, std::uint32_t shards) -> BuildOptions {
    auto options = options_for(dir, {fixture("articles.jsonl").string()});
    options.shards = shards;
    return options;
}

}  // namespace

TEST_CASE("one shard is the default and keeps the generation a single database") {
    CHECK(BuildOptions{}.shards == 1);
    TempDir dir;
    auto summary = build_index(options_for(dir, {fixture("articles.jsonl").string()}));
    CHECK(summary.shards == 1);
    CHECK(std::filesystem::exists(summary.path / "iamglass"));
    CHECK_FALSE(bs::read_shard_manifest(summary.path).has_value());
    CHECK(format_summary(summary).find("shards") == std::string::npos);
}

TEST_CASE("a sharded build puts each article in the shard its id hashes to, and records the split") {
    TempDir dir;
    auto summary = build_index(sharded_options(dir, 3));
    CHECK(summary.total_documents == 12);
    CHECK(summary.shards == 3);
    CHECK(format_summary(summary).find("12 documents in 3 shards (gen-000001)") != std::string::npos);
    auto manifest = bs::read_shard_manifest(summary.path);
    REQUIRE(manifest.has_value());
    CHECK(manifest->generation == "gen-000001");
    CHECK(manifest->count == 3);
    CHECK(manifest->documents == summary.shard_documents);
    std::uint64_t total = 0;
    const auto paths = manifest->shard_paths(summary.path);
    for (std::uint32_t k = 0; k < 3; ++k) {
        CAPTURE(k);
        Xapian::Database shard(paths[k].string());
        CHECK(shard.get_doccount() == manifest->documents[k]);
        CHECK(shard.get_doccount() > 0);  // 12 ids over 3 shards: none empty with this hash
        for (const auto& id : ids_in(shard)) CHECK(bs::shard_of(id, 3) == k);
        CHECK(shard.get_metadata(bs::shard_metadata::index) == std::to_string(k));
        CHECK(shard.get_metadata(bs::shard_metadata::count) == "3");
        CHECK(shard.get_metadata(bs::metadata::generation) == "gen-000001");
        CHECK(shard.get_metadata(bs::metadata::schema) == bs::Schema::default_schema().to_string());
        // Spelling and synonyms are the front database's, once for the whole collection.
        CHECK(shard.spellings_begin() == shard.spellings_end());
        CHECK(shard.synonym_keys_begin() == shard.synonym_keys_end());
        total += shard.get_doccount();
    }
    CHECK(total == 12);
}

TEST_CASE("the front database of a sharded generation holds the schema, spelling and synonyms but no documents") {
    TempDir dir;
    auto summary = build_index(sharded_options(dir, 2));
    Xapian::Database front((summary.path / bs::front_database_name).string());
    CHECK(front.get_doccount() == 0);
    CHECK(front.get_metadata(bs::metadata::schema) == bs::Schema::default_schema().to_string());
    CHECK(front.get_metadata(bs::metadata::generation) == "gen-000001");
    CHECK(front.get_metadata(bs::shard_metadata::count) == "2");
    CHECK_FALSE(front.get_metadata(bs::metadata::built_at).empty());
    CHECK(front.get_spelling_suggestion("goverment") == "government");
    CHECK(front.synonym_keys_begin() != front.synonym_keys_end());
}

TEST_CASE("the shards together hold the same terms, frequencies and spelling data as one index") {
    TempDir single;
    (void)build_index(options_for(single, {fixture("articles.jsonl").string()}));
    for (const std::uint32_t shards : {2u, 3u, 5u}) {
        CAPTURE(shards);
        TempDir sharded;
        auto options = sharded_options(sharded, shards);
        options.jobs = 2;
        options.flush_bytes = 1;  // commits after every document, across parts and shards
        (void)build_index(options);
        CHECK(fingerprint(open_live_shards(sharded)) == fingerprint(open_live(single)));
        std::vector<std::string> synonyms;
        auto all = open_live_shards(sharded);
        auto one = open_live(single);
        for (auto key = one.synonym_keys_begin(); key != one.synonym_keys_end(); ++key) synonyms.push_back(*key);
        std::vector<std::string> combined;
        for (auto key = all.synonym_keys_begin(); key != all.synonym_keys_end(); ++key) combined.push_back(*key);
        CHECK_FALSE(synonyms.empty());
        CHECK(combined == synonyms);
    }
}

TEST_CASE("add and delete route each id to its shard in a sharded generation") {
    TempDir dir;
    (void)build_index(sharded_options(dir, 3));
    write_file(dir / "more.jsonl",
               "{\"id\": \"a001\", \"title\": \"Replaced headline about zeppelins\"}\n"
               "{\"id\": \"new1\", \"title\": \"A brand new article about dirigibles\"}\n"
               "{\"id\": \"new2\", \"title\": \"Another new one\"}\n");
    auto options = options_for(dir, {(dir / "more.jsonl").string()});
    options.commit_every = 2;
    auto added = add_documents(options);
    CHECK(added.generation == "gen-000001");
    CHECK(added.shards == 3);
    CHECK(added.documents == 3);
    CHECK(added.total_documents == 14);
    const auto path = dir / "index" / "gen-000001";
    auto manifest = bs::read_shard_manifest(path);
    REQUIRE(manifest.has_value());
    const auto paths = manifest->shard_paths(path);
    for (const std::string id : {"a001", "new1", "new2"}) {
        CAPTURE(id);
        for (std::uint32_t k = 0; k < 3; ++k) {
            Xapian::Database shard(paths[k].string());
            CHECK(shard.get_termfreq(bs::Schema::default_schema().id_term(id)) == (bs::shard_of(id, 3) == k ? 1 : 0));
        }
    }
    auto all = open_live_shards(dir);
    CHECK(all.get_doccount() == 14);
    CHECK(all.get_termfreq("zeppelins") == 1);
    // The new words reach the front database's spelling table.
    Xapian::Database front((path / bs::front_database_name).string());
    CHECK(front.get_spelling_suggestion("dirigibels") == "dirigibles");

    auto deleted = delete_documents(dir / "index", {"new1", "a001", "missing"});
    CHECK(deleted.deleted == std::vector<std::string>{"new1", "a001"});
    CHECK(deleted.not_found == std::vector<std::string>{"missing"});
    all = open_live_shards(dir);
    CHECK(all.get_doccount() == 12);
    CHECK(all.get_termfreq(bs::Schema::default_schema().id_term("a001")) == 0);
}

TEST_CASE("a sharded rebuild replaces an unsharded generation and back, each published whole") {
    TempDir dir;
    (void)build_index(options_for(dir, {fixture("articles.jsonl").string()}));
    auto sharded = build_index(sharded_options(dir, 4));
    CHECK(sharded.generation == "gen-000002");
    CHECK(read_current_generation(dir / "index") == "gen-000002");
    CHECK(open_live_shards(dir).get_doccount() == 12);
    auto single = build_index(options_for(dir, {fixture("articles.jsonl").string()}));
    CHECK(single.generation == "gen-000003");
    CHECK(open_live(dir).get_doccount() == 12);
    for (const auto& entry : std::filesystem::directory_iterator(dir / "index"))
        CHECK(entry.path().filename().string().find(".raw") == std::string::npos);
}

TEST_CASE("a shard count out of range is refused before anything is written") {
    TempDir dir;
    CHECK_THROWS_AS((void)build_index(sharded_options(dir, 0)), BuildError);
    CHECK_THROWS_AS((void)build_index(sharded_options(dir, bs::max_shards + 1)), BuildError);
    CHECK_FALSE(read_current_generation(dir / "index").has_value());
}

TEST_CASE("the masters open as the live generation's databases and see an add made in place") {
    TempDir dir;
    (void)build_index(sharded_options(dir, 2));
    const auto masters = dir / "index" / "masters";
    Xapian::Database front((masters / "front").string());
    CHECK(front.get_doccount() == 0);
    CHECK(front.get_metadata(bs::metadata::generation) == "gen-000001");
    std::uint64_t total = 0;
    for (std::uint32_t k = 0; k < 2; ++k) {
        Xapian::Database shard((masters / bs::shard_name(k)).string());
        CHECK(shard.get_metadata(bs::shard_metadata::index) == std::to_string(k));
        total += shard.get_doccount();
    }
    CHECK(total == 12);
    write_file(dir / "more.jsonl", "{\"id\": \"new1\", \"title\": \"A brand new article\"}\n");
    (void)add_documents(options_for(dir, {(dir / "more.jsonl").string()}));
    Xapian::Database shard((masters / bs::shard_name(bs::shard_of("new1", 2))).string());
    CHECK(shard.get_termfreq(bs::Schema::default_schema().id_term("new1")) == 1);

    (void)build_index(options_for(dir, {fixture("articles.jsonl").string()}));
    CHECK(Xapian::Database((masters / "index").string()).get_metadata(bs::metadata::generation) == "gen-000002");
    CHECK_FALSE(std::filesystem::exists(masters / "front"));
}

TEST_CASE("add and delete restore masters missing from a root") {
    TempDir dir;
    (void)build_index(sharded_options(dir, 2));
    std::filesystem::remove_all(dir / "index" / "masters");
    (void)delete_documents(dir / "index", {"missing"});
    CHECK(Xapian::Database((dir / "index" / "masters" / "front").string()).get_metadata(bs::metadata::generation) ==
          "gen-000001");
}

namespace {

// The document data of every document, in docid order.
auto all_data(const Xapian::Database& db) -> std::vector<std::string> {
    std::vector<std::string> out;
    for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it)
        out.push_back(db.get_document(*it).get_data());
    return out;
}

auto docdata_bytes(const TempDir& dir) -> std::uintmax_t {
    auto live = read_current_generation(dir / "index");
    REQUIRE(live.has_value());
    return fs::file_size(dir / "index" / *live / "docdata.glass");
}

}  // namespace

TEST_CASE("a build of enough records trains a record dictionary, stores it and compresses the records with it") {
    TempDir dir;
    const auto records = broadsheet::testing::news_records(3000);
    write_file(dir / "news.jsonl", records);
    auto schema = bs::Schema::default_schema();
    // A sample of about the first 1,200 records: the writers start while the input is still being read.
    std::uint64_t sample = 0;
    {
        std::istringstream lines(records);
        std::string line;
        for (int i = 0; i < 1200 && std::getline(lines, line); ++i)
            sample += bs::record_sample(schema, bs::normalize_record(schema, nlohmann::json::parse(line)))->size();
    }
    auto options = options_for(dir, {(dir / "news.jsonl").string()});
    options.dictionary_sample_bytes = sample;
    (void)build_index(options);
    auto db = open_live(dir);
    auto dictionary = bs::load_record_dictionary(db);
    REQUIRE(dictionary);
    const auto data = all_data(db);
    REQUIRE(data.size() == 3000);
    CHECK(std::all_of(data.begin(), data.end(), [](const std::string& d) { return d.front() == '\x02'; }));
    auto doc = db.get_document(db.postlist_begin("Qn2999").operator*());
    CHECK(bs::stored_fields(schema, doc, dictionary.get())["id"] == "n2999");

    TempDir plain;
    write_file(plain / "news.jsonl", records);
    auto without = options_for(plain, {(plain / "news.jsonl").string()});
    without.dictionary_sample_bytes = 0;
    (void)build_index(without);
    CHECK(bs::load_record_dictionary(open_live(plain)) == nullptr);
    CHECK(all_data(open_live(plain)).front().front() == '{');
    MESSAGE("docdata.glass: ", docdata_bytes(dir), " bytes with a dictionary, ", docdata_bytes(plain), " without");
    CHECK(docdata_bytes(dir) < docdata_bytes(plain) * 3 / 4);

    // add compresses with the generation's dictionary.
    write_file(dir / "more.jsonl",
               "{\"id\": \"added\", \"title\": \"Texaco says crude oil output rose\", "
               "\"body\": \"NEW YORK - Texaco Inc said its crude oil output rose. Reuter\"}\n");
    (void)add_documents(options_for(dir, {(dir / "more.jsonl").string()}));
    auto after = open_live(dir);
    auto added = after.get_document(*after.postlist_begin("Qadded"));
    CHECK(added.get_data().front() == '\x02');
    CHECK(bs::stored_fields(schema, added, dictionary.get())["title"] == "Texaco says crude oil output rose");
}

TEST_CASE("a small build keeps plain records and no dictionary") {
    TempDir dir;
    (void)build_index(options_for(dir, {fixture("articles.jsonl").string()}));
    auto db = open_live(dir);
    CHECK(db.get_metadata(bs::metadata::record_dictionary).empty());
    for (const auto& data : all_data(db)) CHECK(data.front() == '{');
}

TEST_CASE("every database of a sharded generation holds the record dictionary") {
    TempDir dir;
    write_file(dir / "news.jsonl", broadsheet::testing::news_records(1500));
    auto options = options_for(dir, {(dir / "news.jsonl").string()});
    options.shards = 2;
    (void)build_index(options);
    auto live = read_current_generation(dir / "index");
    REQUIRE(live.has_value());
    const auto path = dir / "index" / *live;
    const auto front = Xapian::Database((path / bs::front_database_name).string());
    const auto stored = front.get_metadata(bs::metadata::record_dictionary);
    REQUIRE_FALSE(stored.empty());
    for (const auto& shard : bs::read_shard_manifest(path)->shard_paths(path))
        CHECK(Xapian::Database(shard.string()).get_metadata(bs::metadata::record_dictionary) == stored);
    // The front end reads what the shards hold with the front's dictionary.
    auto all = open_live_shards(dir);
    auto dictionary = bs::load_record_dictionary(all);
    REQUIRE(dictionary);
    auto doc = all.get_document(*all.postlist_begin("Qn7"));
    CHECK(bs::stored_fields(bs::Schema::default_schema(), doc, dictionary.get())["id"] == "n7");
}
