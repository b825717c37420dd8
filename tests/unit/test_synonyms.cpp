#include <doctest/doctest.h>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "broadsheet/schema/document.hpp"
#include "broadsheet/schema/schema.hpp"
#include "broadsheet/schema/synonyms.hpp"
#include "test_support.hpp"

using broadsheet::schema::Schema;
using broadsheet::schema::SchemaError;
using broadsheet::schema::Synonyms;
using broadsheet::testing::TempDir;
using nlohmann::json;
using Groups = std::vector<std::vector<std::string>>;

namespace {

auto error_of(std::string_view text) -> std::string {
    try {
        (void)Synonyms::parse(text, "syn.txt");
    } catch (const SchemaError& e) {
        return e.what();
    }
    return "accepted";
}

// The synonym dictionary as the query parser sees it: key -> terms.
auto dictionary(const Xapian::Database& db) -> std::map<std::string, std::set<std::string>> {
    std::map<std::string, std::set<std::string>> out;
    for (auto key = db.synonym_keys_begin(); key != db.synonym_keys_end(); ++key)
        for (auto term = db.synonyms_begin(*key); term != db.synonyms_end(*key); ++term) out[*key].insert(*term);
    return out;
}

auto terms_of(const Xapian::Document& doc) -> std::map<std::string, Xapian::termcount> {
    std::map<std::string, Xapian::termcount> out;
    for (auto term = doc.termlist_begin(); term != doc.termlist_end(); ++term) out[*term] = term.get_wdf();
    return out;
}

}  // namespace

TEST_CASE("a synonyms file is one group per line, read like article text") {
    auto synonyms = Synonyms::parse(
        "# countries\n"
        "US, U.S.A., United States   # the short forms first\n"
        "\n"
        "  fed ,Federal   Reserve, FED\r\n",
        "syn.txt");
    CHECK(synonyms.groups() == Groups{{"us", "usa", "united states"}, {"fed", "federal reserve"}});
    CHECK(Synonyms::from_json(synonyms.to_json()).groups() == synonyms.groups());
}

TEST_CASE("a bad synonyms line is named by file and line") {
    CHECK(error_of("us, usa\nus\n") ==
          "syn.txt:2: a group needs at least two different members, such as 'us, united states'");
    CHECK(error_of("us, US\n").find("syn.txt:1:") == 0);
    CHECK(error_of("# fine\nus, , usa\n").find("syn.txt:2: an empty member") == 0);
    CHECK(error_of("us, ...\n").find("syn.txt:1: an empty member") == 0);
    CHECK(error_of("us, united states,\n").find("syn.txt:1: an empty member") == 0);
    CHECK(error_of("\n# only comments\n\n") == "accepted");
}

TEST_CASE("a schema file names its synonyms file, read relative to it, and keeps the groups inline") {
    TempDir dir;
    auto schema_json = json::parse(broadsheet::schema::default_schema_json());
    schema_json["synonyms"] = "words/syn.txt";
    std::filesystem::create_directories(dir / "words");
    std::ofstream(dir / "schema.json") << schema_json.dump();
    std::ofstream(dir / "words" / "syn.txt") << "car, automobile\n";
    auto schema = Schema::load_file((dir / "schema.json").string());
    CHECK(schema.synonyms().groups() == Groups{{"car", "automobile"}});
    // The form stored in an index needs no file.
    CHECK(Schema::from_string(schema.to_string()).synonyms().groups() == schema.synonyms().groups());

    std::ofstream(dir / "words" / "syn.txt") << "car\n";
    CHECK_THROWS_WITH_AS((void)Schema::load_file((dir / "schema.json").string()),
                         doctest::Contains("syn.txt:1: a group needs"), SchemaError);
    std::filesystem::remove(dir / "words" / "syn.txt");
    CHECK_THROWS_WITH_AS((void)Schema::load_file((dir / "schema.json").string()),
                         doctest::Contains("cannot read synonyms file"), SchemaError);
    CHECK_THROWS_WITH_AS((void)Schema::from_json(schema_json), doctest::Contains("names the file"), SchemaError);
}

TEST_CASE("the default schema comes with news synonyms") {
    const auto schema = Schema::default_schema();
    const auto& groups = schema.synonyms().groups();
    CHECK(std::find(groups.begin(), groups.end(),
                    std::vector<std::string>{"us", "usa", "united states", "united states of america"}) !=
          groups.end());
}

TEST_CASE("the dictionary maps each member, as typed and stemmed, to the others' index terms") {
    TempDir dir;
    Xapian::WritableDatabase db((dir / "db").string(), Xapian::DB_CREATE);
    auto schema = Schema::default_schema();
    Synonyms::parse("cars, automobiles, motor vehicle\nthe, les\n", "syn.txt")
        .write_to(db, schema.stemmer(), schema.stopper());
    db.commit();
    auto words = dictionary(db);
    // Single words are found by stem, so "car" also finds "automobile".
    CHECK(words["cars"] == std::set<std::string>{"Zautomobil", "motor vehicle"});
    CHECK(words["Zcar"] == std::set<std::string>{"Zautomobil", "motor vehicle"});
    CHECK(words["Zautomobil"] == std::set<std::string>{"Zcar", "motor vehicle"});
    // A phrase is looked up as typed and expands to the words' stems.
    CHECK(words["motor vehicle"] == std::set<std::string>{"Zcar", "Zautomobil"});
    // Stopwords have no stemmed term in the index.
    CHECK(words["the"] == std::set<std::string>{"Zles"});
    CHECK(words.count("Zthe") == 0);
    CHECK(words["Zles"] == std::set<std::string>{"the"});
}

TEST_CASE("a phrase member in an article gets its own term, weighted like its field") {
    auto schema = Schema::default_schema();
    Xapian::TermGenerator generator;
    schema.configure(generator);
    auto article = broadsheet::schema::normalize_record(
        schema, json{{"id", "x"},
                     {"title", "United States economy"},
                     {"body", "The united states grew. United, the states agreed. Federal Reserve.\nReserve"}});
    auto terms = terms_of(broadsheet::schema::make_document(schema, article, generator));
    // The title's weight plus one body mention; "united, the states" is not the phrase.
    CHECK(terms["united states"] == schema.find("title")->weight + 1);
    CHECK(terms["federal reserve"] == 1);
    CHECK(terms.count("soviet union") == 0);
    // A phrase never spans two fields.
    article = broadsheet::schema::normalize_record(schema, json{{"id", "y"},
                                                                {"title", "Plans of the united"},
                                                                {"body", "states agreed"}});
    CHECK(terms_of(broadsheet::schema::make_document(schema, article, generator)).count("united states") == 0);
}

TEST_CASE("stopwords that are their own stem get a key from the stem back to the word") {
    TempDir dir;
    Xapian::WritableDatabase db((dir / "db").string(), Xapian::DB_CREATE);
    broadsheet::schema::write_stopword_keys(db, {"the", "who", "was"}, Xapian::Stem("english"));
    db.commit();
    auto words = dictionary(db);
    CHECK(words["Zthe"] == std::set<std::string>{"the"});
    CHECK(words["Zwho"] == std::set<std::string>{"who"});
    // "was" stems to "wa", a word of its own, which must not find "was".
    CHECK(words.count("Zwa") == 0);
}
