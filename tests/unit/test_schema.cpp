#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "broadsheet/schema/schema.hpp"
#include "test_support.hpp"

using broadsheet::schema::FieldType;
using broadsheet::schema::Role;
using broadsheet::schema::Schema;
using broadsheet::schema::SchemaError;
using nlohmann::json;

namespace {

auto minimal() -> json {
    return json::parse(R"({"version": 2, "language": "english", "fields": [
        {"name": "id", "type": "id", "prefix": "Q"},
        {"name": "title", "type": "text", "prefix": "S", "weight": 2}]})");
}

void check_rejected(json schema, const std::string& expected_words) {
    try {
        (void)Schema::from_json(schema);
        FAIL("schema was accepted: " << schema.dump());
    } catch (const SchemaError& e) {
        CHECK_MESSAGE(std::string(e.what()).find(expected_words) != std::string::npos, e.what());
    }
}

}  // namespace

TEST_CASE("the default schema declares the article fields with prefixes, slots and weights") {
    auto schema = Schema::default_schema();
    CHECK(schema.language() == "english");
    CHECK(schema.id_field().name == "id");
    CHECK(schema.prefix_for("title") == "S");
    CHECK(schema.find("standfirst") == schema.find("subtitle"));
    REQUIRE(schema.date_field() != nullptr);
    CHECK(schema.slot_for("date") == *schema.date_field()->slot);
    CHECK(schema.find("title")->weight > schema.find("body")->weight);
    CHECK(schema.title_field()->name == "title");
    CHECK(schema.snippet_field()->name == "body");
    CHECK(schema.find_by_query_name("tag")->name == "tags");
    CHECK(schema.find_facet("year")->name == "date");
    CHECK(schema.find_facet("tag")->multi);
    CHECK(schema.find("nonexistent") == nullptr);
    CHECK_FALSE(schema.stopwords().empty());
}

TEST_CASE("the default schema gives each part of an article page its field by role") {
    auto schema = Schema::default_schema();
    CHECK(schema.role_field(Role::title)->name == "title");
    CHECK(schema.role_field(Role::standfirst)->name == "subtitle");
    CHECK(schema.role_field(Role::link)->name == "url");
    CHECK(schema.role_field(Role::topics)->name == "tags");
    CHECK(schema.role_field(Role::date)->name == "date");
    CHECK(schema.role_field(Role::none) == nullptr);
    CHECK(Schema::from_string(schema.to_string()).role_field(Role::topics)->name == "tags");
}

TEST_CASE("a schema without roles has no title, standfirst, link, topics or date to show") {
    auto schema = Schema::from_json(minimal());
    CHECK(schema.title_field() == nullptr);
    for (auto role : {Role::title, Role::standfirst, Role::link, Role::topics, Role::date})
        CHECK(schema.role_field(role) == nullptr);
    auto doc = minimal();
    doc["fields"][1]["role"] = "title";
    CHECK(Schema::from_json(doc).title_field()->name == "title");
    CHECK(Schema::from_json(doc).to_json()["fields"][1]["role"] == "title");
}

TEST_CASE("a version 1 schema without roles gets the roles its field names meant") {
    auto doc = Schema::default_schema().to_json();
    doc["version"] = 1;
    for (auto& field : doc["fields"]) field.erase("role");
    doc["fields"].push_back(json{{"name", "summary"}, {"type", "text"}, {"prefix", "XS"}});
    auto legacy = Schema::from_json(doc);
    CHECK(legacy.role_field(Role::title)->name == "title");
    CHECK(legacy.role_field(Role::standfirst)->name == "subtitle");
    CHECK(legacy.role_field(Role::link)->name == "url");
    CHECK(legacy.role_field(Role::topics)->name == "tags");
    CHECK(legacy.role_field(Role::date)->name == "date");
    CHECK(legacy.find("summary")->role == Role::none);
    // A field that cannot take the role its name suggests is left without one.
    auto unstored = minimal();
    unstored["version"] = 1;
    unstored["fields"][1]["stored"] = false;
    CHECK(Schema::from_json(unstored).title_field() == nullptr);
    // From version 2 on, a schema without roles means none.
    doc["version"] = 2;
    CHECK(Schema::from_json(doc).title_field() == nullptr);
}

TEST_CASE("roles are checked against the field's kind and given to one field each") {
    auto with = [](json field) {
        auto doc = minimal();
        doc["fields"].push_back(std::move(field));
        return doc;
    };
    check_rejected(with(json{{"name", "x"}, {"type", "text"}, {"prefix", "XX"}, {"role", "headline"}}),
                   "unknown role 'headline'");
    check_rejected(with(json{{"name", "x"}, {"type", "keyword"}, {"role", "title"}}), "needs a text field");
    check_rejected(with(json{{"name", "x"}, {"type", "keyword"}, {"multi", true}, {"role", "link"}}),
                   "single-valued keyword");
    check_rejected(with(json{{"name", "x"}, {"type", "keyword"}, {"prefix", "K"}, {"role", "topics"}}),
                   "keyword field that is a facet");
    check_rejected(with(json{{"name", "x"}, {"type", "text"}, {"prefix", "XX"}, {"role", "date"}}),
                   "needs a date field");
    check_rejected(
        with(json{{"name", "x"}, {"type", "text"}, {"prefix", "XX"}, {"stored", false}, {"role", "standfirst"}}),
        "needs a stored field");
    auto twice = with(json{{"name", "x"}, {"type", "text"}, {"prefix", "XX"}, {"role", "title"}});
    twice["fields"][1]["role"] = "title";
    check_rejected(twice, "only one field can have the role 'title'");
}

TEST_CASE("the schema file in the repository is the one compiled in") {
    auto file = Schema::load_file(broadsheet::testing::fixture("../../schema/articles.json").string());
    CHECK(file.to_string() == Schema::default_schema().to_string());
}

TEST_CASE("a schema survives a round trip through its canonical JSON") {
    auto schema = Schema::default_schema();
    auto again = Schema::from_string(schema.to_string());
    CHECK(again.to_string() == schema.to_string());
    CHECK(again.fields().size() == schema.fields().size());
}

TEST_CASE("invalid schemas are rejected with the reason") {
    check_rejected(json::array(), "JSON object");
    auto no_fields = minimal();
    no_fields.erase("fields");
    check_rejected(no_fields, "fields");
    auto bad_type = minimal();
    bad_type["fields"][1]["type"] = "number";
    check_rejected(bad_type, "unknown type 'number'");
    auto bad_prefix = minimal();
    bad_prefix["fields"][1]["prefix"] = "title";
    check_rejected(bad_prefix, "prefix");
    auto same_prefix = minimal();
    same_prefix["fields"].push_back({{"name", "body"}, {"type", "text"}, {"prefix", "S"}});
    check_rejected(same_prefix, "used twice");
    auto no_id = minimal();
    no_id["fields"].erase(0);
    check_rejected(no_id, "exactly one field of type 'id'");
    auto unknown_key = minimal();
    unknown_key["fields"][1]["wieght"] = 3;
    check_rejected(unknown_key, "unknown key 'wieght'");
    auto bad_language = minimal();
    bad_language["language"] = "klingon";
    check_rejected(bad_language, "unknown language");
    auto date_without_slot = minimal();
    date_without_slot["fields"].push_back({{"name", "date"}, {"type", "date"}});
    check_rejected(date_without_slot, "needs a slot");
    auto slot_twice = minimal();
    slot_twice["fields"].push_back({{"name", "date"}, {"type", "date"}, {"slot", 0}, {"year_slot", 0}});
    check_rejected(slot_twice, "slot 0 is used twice");
    auto bad_k1 = minimal();
    bad_k1["ranking"] = {{"k1", -1}};
    check_rejected(bad_k1, "k1");
    auto bad_b = minimal();
    bad_b["ranking"] = {{"b", 1.5}};
    check_rejected(bad_b, "b must be between 0 and 1");
    auto bad_ranking_key = minimal();
    bad_ranking_key["ranking"] = {{"k2", 1}};
    check_rejected(bad_ranking_key, "unknown key 'k2'");
    for (const auto* reserved : {"title_html", "snippet_html", "body_html", "score", "rank"}) {
        auto clash = minimal();
        clash["fields"].push_back({{"name", reserved}, {"type", "text"}, {"prefix", "XR"}});
        check_rejected(clash, "reserved");
    }
    auto nothing_searchable = minimal();
    nothing_searchable["fields"][1]["weight"] = 0;
    check_rejected(nothing_searchable, "weight above 0");
}

TEST_CASE("loading a missing or malformed schema file names the file") {
    broadsheet::testing::TempDir dir;
    broadsheet::testing::write_file(dir / "bad.json", "{ not json");
    CHECK_THROWS_WITH_AS((void)Schema::load_file((dir / "bad.json").string()), doctest::Contains("bad.json"),
                         SchemaError);
    CHECK_THROWS_AS((void)Schema::load_file((dir / "missing.json").string()), SchemaError);
}

TEST_CASE("BM25 parameters come from the schema, with Xapian's defaults when absent") {
    auto schema = Schema::default_schema();
    CHECK(schema.bm25_k1() == doctest::Approx(1.4));
    CHECK(schema.bm25_b() == doctest::Approx(0.6));
    auto plain = Schema::from_json(minimal());
    CHECK(plain.bm25_k1() == doctest::Approx(1.0));
    CHECK(plain.bm25_b() == doctest::Approx(0.5));
    CHECK(Schema::from_string(schema.to_string()).bm25_b() == doctest::Approx(0.6));
    CHECK(schema.weighting().name() == "Xapian::BM25Weight");
}

TEST_CASE("the proximity and expansion settings come from the schema and are range-checked") {
    auto doc = minimal();
    doc["ranking"] = {{"k1", 1.2},          {"b", 0.7},
                      {"proximity", 0.25},  {"proximity_window", 5},
                      {"expand", true},     {"expand_documents", 7},
                      {"expand_terms", 12}, {"expand_weight", 0.4}};
    const auto ranking = Schema::from_json(doc).ranking();
    CHECK(ranking.proximity == doctest::Approx(0.25));
    CHECK(ranking.proximity_window == 5);
    CHECK(ranking.expand);
    CHECK(ranking.expand_documents == 7);
    CHECK(ranking.expand_terms == 12);
    CHECK(ranking.expand_weight == doctest::Approx(0.4));
    const auto again = Schema::from_string(Schema::from_json(doc).to_string()).ranking();
    CHECK(again.proximity_window == 5);
    CHECK(again.expand_weight == doctest::Approx(0.4));
    const auto plain = Schema::from_json(minimal()).ranking();
    CHECK(plain.proximity == 0);
    CHECK_FALSE(plain.expand);
    for (const auto& [key, value] : std::vector<std::pair<std::string, double>>{{"proximity", -0.5},
                                                                                {"proximity_window", 1},
                                                                                {"expand_documents", 0},
                                                                                {"expand_terms", 500},
                                                                                {"expand_weight", 11}}) {
        auto bad = minimal();
        bad["ranking"] = {{key, value}};
        check_rejected(bad, key + " must be between");
    }
}

TEST_CASE("keyword terms are case-folded and id terms carry the id prefix") {
    auto schema = Schema::default_schema();
    CHECK(schema.id_term("a1") == "Qa1");
    CHECK(schema.keyword_term(*schema.find("tags"), "Economy") == "Keconomy");
}

TEST_CASE("index and query analysis share stemmer and stopwords") {
    auto schema = Schema::default_schema();
    CHECK(schema.stemmer()("running") == "run");
    REQUIRE(schema.stopper() != nullptr);
    CHECK((*schema.stopper())("the"));
    CHECK_FALSE((*schema.stopper())("government"));
    Xapian::QueryParser parser;
    schema.configure(parser);
    auto query = parser.parse_query("title:markets");
    CHECK(query.get_description().find("ZSmarket") != std::string::npos);
}
