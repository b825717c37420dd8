#include <doctest/doctest.h>

#include <xapian.h>

#include "broadsheet/indexer/generations.hpp"
#include "broadsheet/indexer/index_builder.hpp"
#include "broadsheet/schema/schema.hpp"
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
