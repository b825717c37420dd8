#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "broadsheet/schema/document.hpp"
#include "test_support.hpp"

using namespace broadsheet::schema;
using nlohmann::json;

namespace {

auto terms_of(const Xapian::Document& doc) -> std::vector<std::string> {
    std::vector<std::string> terms(doc.termlist_begin(), doc.termlist_end());
    return terms;
}

auto has(const std::vector<std::string>& terms, const std::string& term) -> bool {
    return std::find(terms.begin(), terms.end(), term) != terms.end();
}

}  // namespace

TEST_CASE("records are normalised to the schema's canonical fields") {
    auto schema = Schema::default_schema();
    auto article = normalize_record(schema, json::parse(R"({"id": 42, "title": "T", "standfirst": "S",
        "body": ["para one", "para two"], "date": "2014-06-03T10:15:00Z", "tags": "solo", "extra": 1})"));
    CHECK(article["id"] == "42");
    CHECK(article["subtitle"] == "S");
    CHECK(article["body"] == "para one\npara two");
    CHECK(article["date"] == "2014-06-03T10:15:00");
    CHECK(article["tags"] == json::array({"solo"}));
    CHECK_FALSE(article.contains("extra"));
    CHECK(normalize_record(schema, json::parse(R"({"id": "x", "date": 1790})"))["date"] == "1790");
}

TEST_CASE("bad records are rejected with a reason") {
    auto schema = Schema::default_schema();
    CHECK_THROWS_WITH_AS((void)normalize_record(schema, json::parse(R"({"title": "no id"})")),
                         doctest::Contains("missing id"), RecordError);
    CHECK_THROWS_WITH_AS((void)normalize_record(schema, json::parse(R"({"id": ""})")), doctest::Contains("empty"),
                         RecordError);
    CHECK_THROWS_WITH_AS((void)normalize_record(schema, json::parse(R"({"id": "a", "date": "26-FEB-1987"})")),
                         doctest::Contains("unparsable date"), RecordError);
    CHECK_THROWS_WITH_AS((void)normalize_record(schema, json::parse(R"({"id": "a", "title": 5})")),
                         doctest::Contains("title"), RecordError);
    CHECK_THROWS_WITH_AS((void)normalize_record(schema, json::parse(R"({"id": {"nested": 1}})")),
                         doctest::Contains("id must be"), RecordError);
    CHECK_THROWS_AS((void)normalize_record(schema, json::parse("[1, 2]")), RecordError);
    CHECK_THROWS_AS((void)normalize_record(schema, json{{"id", std::string(300, 'x')}}), RecordError);
}

TEST_CASE("a document carries prefixed and weighted terms, filters, values and stored data") {
    auto schema = Schema::default_schema();
    Xapian::TermGenerator generator;
    schema.configure(generator);
    auto article = normalize_record(schema, json::parse(R"({"id": "a1", "title": "Markets rally",
        "body": "Shares rose.", "date": "2014-06-03", "tags": ["Economy", "Markets"], "url": "http://x"})"));
    auto doc = make_document(schema, article, generator);
    auto terms = terms_of(doc);
    CHECK(has(terms, "Qa1"));
    CHECK(has(terms, "Smarkets"));  // title: prefix
    CHECK(has(terms, "ZSmarket"));  // stemmed, prefixed
    CHECK(has(terms, "markets"));   // unprefixed for plain queries
    CHECK(has(terms, "XBODYshares"));
    CHECK(has(terms, "Keconomy"));
    CHECK(has(terms, "Kmarkets"));
    CHECK(doc.get_value(schema.slot_for("date")) == "20140603000000");
    CHECK(doc.get_value(*schema.find("date")->year_slot) == "2014");
    CHECK(split_values(doc.get_value(schema.slot_for("tags"))) == std::vector<std::string>{"Economy", "Markets"});

    // The title's unprefixed words weigh more than the body's.
    auto title_wdf = doc.termlist_begin();
    title_wdf.skip_to("markets");
    auto body_wdf = doc.termlist_begin();
    body_wdf.skip_to("shares");
    CHECK(title_wdf.get_wdf() > body_wdf.get_wdf());

    auto stored = stored_fields(schema, doc);
    CHECK(stored["id"] == "a1");
    CHECK(stored["url"] == "http://x");
    CHECK(stored["subtitle"].is_null());
}

TEST_CASE("positions never let a phrase span two fields") {
    auto schema = Schema::default_schema();
    Xapian::TermGenerator generator;
    schema.configure(generator);
    auto doc = make_document(schema,
                             normalize_record(schema, json{{"id", "p"}, {"title", "interest"}, {"body", "rates"}}),
                             generator);
    auto interest = doc.termlist_begin();
    interest.skip_to("interest");
    auto rates = doc.termlist_begin();
    rates.skip_to("rates");
    auto last_title_pos = *interest.positionlist_begin();
    auto first_body_pos = *rates.positionlist_begin();
    CHECK(first_body_pos > last_title_pos + 1);
}

TEST_CASE("multi-valued slots split back into their values") {
    CHECK(split_values("").empty());
    CHECK(split_values(join_values(json::array({"a", "b c", ""}))) == std::vector<std::string>{"a", "b c", ""});
    CHECK(split_values("solo") == std::vector<std::string>{"solo"});
}

TEST_CASE("the body is stored apart from the other fields and read back intact") {
    auto schema = Schema::default_schema();
    Xapian::TermGenerator generator;
    schema.configure(generator);
    std::string body = "Line one \"quoted\"\nline two with a NUL \0 inside";
    body.push_back('\0');
    body += " and after";
    auto doc = make_document(schema, normalize_record(schema, json{{"id", "b1"}, {"title", "T"}, {"body", body}}),
                             generator);
    auto stored = read_stored(schema, doc);
    CHECK(stored.body == body);
    CHECK_FALSE(stored.fields.contains("body"));
    CHECK(stored.fields["title"] == "T");
    CHECK(stored_fields(schema, doc)["body"] == body);
    auto no_body = make_document(schema, normalize_record(schema, json{{"id", "b2"}}), generator);
    CHECK(read_stored(schema, no_body).body.empty());
    CHECK(stored_fields(schema, no_body)["body"].is_null());
}

TEST_CASE("spelling words counted in memory are what the generator's spelling flag adds") {
    auto schema = Schema::default_schema();
    broadsheet::testing::TempDir dir;
    Xapian::WritableDatabase db((dir / "db").string(), Xapian::DB_CREATE);
    Xapian::TermGenerator flagged;
    schema.configure(flagged);
    flagged.set_database(db);
    flagged.set_flags(Xapian::TermGenerator::FLAG_SPELLING);
    Xapian::TermGenerator counting;
    schema.configure(counting);
    WordCounts counts;
    for (const auto& raw : {json{{"id", "1"},
                                 {"title", "The United States economy"},
                                 {"subtitle", "Economy, economy"},
                                 {"body", "The economy of the U.S. grew 3.5% in 2014; caf\u00e9 prices, C++ and x"}},
                            json{{"id", "2"}, {"title", "Economy"}, {"tags", {"economy", "Solo"}}}}) {
        auto article = normalize_record(schema, raw);
        (void)make_document(schema, article, flagged);
        (void)make_document(schema, article, counting, &counts);
    }
    db.commit();
    std::map<std::string, Xapian::termcount> from_flag;
    for (auto word = db.spellings_begin(); word != db.spellings_end(); ++word) from_flag[*word] = word.get_termfreq();
    std::map<std::string, Xapian::termcount> counted;
    for (const auto& [word, count] : counts)
        if (word.size() > 1) counted[word] = count;  // the spelling table keeps no one-byte words
    CHECK(counted == from_flag);
    CHECK(counts["x"] == 1);
    CHECK(counts["economy"] == 5);              // title, subtitle twice, body, the second title; not the tag
    CHECK(counts.count("united states") == 0);  // a synonym phrase term is no word to suggest
}
