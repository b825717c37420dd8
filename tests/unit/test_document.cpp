#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "broadsheet/schema/document.hpp"
#include "broadsheet/schema/text.hpp"
#include "test_support.hpp"

#include <zlib.h>

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
    CHECK(has(terms, "Smarkets"));        // title: prefix
    CHECK_FALSE(has(terms, "ZSmarket"));  // no stemmed twin under the prefix (schema/field_stems.hpp)
    CHECK(has(terms, "markets"));         // unprefixed for plain queries
    CHECK(has(terms, "Zmarket"));         // and stemmed
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

TEST_CASE("a document for an index built before keeps its fields' stemmed twins") {
    auto schema = Schema::default_schema();
    Xapian::TermGenerator generator;
    schema.configure(generator);
    auto article = normalize_record(schema, json::parse(R"({"id": "a1", "title": "Markets rally",
        "body": "Shares rose."})"));
    auto terms = terms_of(make_document(schema, article, generator, nullptr, nullptr, FieldTerms::with_stems));
    CHECK(has(terms, "ZSmarket"));
    CHECK(has(terms, "ZXBODYshare"));
    CHECK(has(terms, "Zmarket"));
    // The next document is indexed as asked again: the strategy was put back.
    auto next = terms_of(make_document(schema, article, generator));
    CHECK_FALSE(has(next, "ZXBODYshare"));
    CHECK(has(next, "Zshare"));
}

TEST_CASE("positions never let a phrase span two fields") {
    auto schema = Schema::default_schema();
    Xapian::TermGenerator generator;
    schema.configure(generator);
    auto doc = make_document(schema,
                             normalize_record(schema, json{{"id", "p"}, {"title", "interest"}, {"body", "rates"}}),
                             generator);
    auto interest = doc.termlist_begin();
    interest.skip_to("Sinterest");
    auto rates = doc.termlist_begin();
    rates.skip_to("XBODYrates");
    REQUIRE(interest.positionlist_count() == 1);
    REQUIRE(rates.positionlist_count() == 1);
    auto last_title_pos = *interest.positionlist_begin();
    auto first_body_pos = *rates.positionlist_begin();
    // Farther apart than any phrase or NEAR window the server rewrites onto fields.
    CHECK(first_body_pos > last_title_pos + 100);
}

TEST_CASE("a field's words keep positions under its prefix only; the unprefixed copies are weighted, without") {
    auto schema = Schema::default_schema();
    Xapian::TermGenerator generator;
    schema.configure(generator);
    auto doc = make_document(schema,
                             normalize_record(schema, json{{"id", "p"},
                                                           {"title", "Rates rise"},
                                                           {"subtitle", "Rates again"},
                                                           {"body", "Interest rates rose, rates said."}}),
                             generator);
    std::map<std::string, std::pair<Xapian::termcount, Xapian::termcount>> wdf_and_positions;
    for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t)
        wdf_and_positions[*t] = {t.get_wdf(), t.positionlist_count()};
    // title weight 4, subtitle 2, body 1.
    CHECK(wdf_and_positions["rates"] == std::pair<Xapian::termcount, Xapian::termcount>{4 + 2 + 2, 0});
    CHECK(wdf_and_positions["Srates"] == std::pair<Xapian::termcount, Xapian::termcount>{1, 1});
    CHECK(wdf_and_positions["XSUBrates"] == std::pair<Xapian::termcount, Xapian::termcount>{1, 1});
    CHECK(wdf_and_positions["XBODYrates"] == std::pair<Xapian::termcount, Xapian::termcount>{2, 2});
    for (const auto& [term, counts] : wdf_and_positions) {
        INFO("term: ", term);
        const bool field_word = term.starts_with("S") || term.starts_with("XSUB") || term.starts_with("XBODY");
        if (!field_word) CHECK(counts.second == 0);
    }
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

namespace {

// A long body with what word splitting has rules for: initials, joiners,
// numbers, "C++", accents, CJK, quotes, new lines, runs of spaces and words too
// long to index, in an order a fixed seed decides.
auto long_body(std::size_t bytes, unsigned seed) -> std::string {
    const std::vector<std::string> pieces = {
        "oil",           "prices",
        "rose",          "The",
        "U.S.",          "AT&T",
        "don't",         "1,000.5",
        "C++",           "caf\xC3\xA9",
        "Z\xC3\xBCrich", "\xE6\x9D\xB1\xE4\xBA\xAC",
        "\"quoted.\"",   "(aside)",
        "end.",          "\n",
        "   ",           "rates",
        "rising",        "said",
        "and",           "of",
        "exports",       std::string(70, 'w'),
        "\xE2\x80\x94",  "it\xE2\x80\x99s",
    };
    std::string body;
    auto state = seed;
    while (body.size() < bytes) {
        state = state * 1103515245u + 12345u;
        body += pieces[(state >> 16) % pieces.size()];
        body += (state >> 8) % 7 == 0 ? "\t" : " ";
    }
    return body;
}

// Terms with their wdf and positions.
auto terms_and_positions(const Xapian::Document& doc)
    -> std::map<std::string, std::pair<Xapian::termcount, std::vector<Xapian::termpos>>> {
    std::map<std::string, std::pair<Xapian::termcount, std::vector<Xapian::termpos>>> out;
    for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t)
        out[*t] = {t.get_wdf(), std::vector<Xapian::termpos>(t.positionlist_begin(), t.positionlist_end())};
    return out;
}

}  // namespace

TEST_CASE("a long body is stored in compressed chunks that start at words and read back whole") {
    auto schema = Schema::default_schema();
    Xapian::TermGenerator generator;
    schema.configure(generator);
    auto body = long_body(150 * 1024, 7);
    body += std::string("a NUL \0 inside", 14);
    auto doc = make_document(schema, normalize_record(schema, json{{"id", "long"}, {"title", "T"}, {"body", body}}),
                             generator);
    CHECK(doc.get_data().size() < body.size() / 2);

    auto whole = read_stored(schema, doc);
    CHECK(whole.body == body);
    CHECK_FALSE(whole.chunks);
    CHECK(whole.fields["title"] == "T");
    CHECK(stored_fields(schema, doc)["body"] == body);

    auto lazy = read_stored(schema, doc, BodyReading::chunks);
    CHECK(lazy.body.empty());
    CHECK(lazy.fields["title"] == "T");
    REQUIRE(lazy.chunks);
    const auto& chunks = lazy.chunks->chunks();
    CHECK(chunks.size() > 5);
    CHECK(lazy.chunks->size() == body.size());
    CHECK(lazy.chunks->text() == body);
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        const auto begin = chunks[i].begin;
        const auto end = lazy.chunks->chunk_end(i);
        CHECK(chunks[i].char_begin == count_chars(body, 0, begin));
        if (i > 0) {
            CHECK(end - chunks[i - 1].begin > body_chunk_bytes / 2);
            CHECK(std::isspace(static_cast<unsigned char>(body[begin - 1])));
            CHECK(std::isalnum(static_cast<unsigned char>(body[begin])));
        }
        std::string part(end - begin, '\0');
        lazy.chunks->decompress(i, part.data());
        CHECK(part == body.substr(begin, end - begin));
    }
    // The title's one word is position 1; the body's first after the gap.
    CHECK(chunks.front().first_position == 102);

    // Xapian's glass backend deflates document data and keeps the result when
    // it is a byte shorter: it must not be, or every read inflates it all.
    const auto data = doc.get_data();
    auto room = compressBound(static_cast<uLong>(data.size()));
    std::string deflated(room, '\0');
    REQUIRE(compress(reinterpret_cast<Bytef*>(deflated.data()), &room, reinterpret_cast<const Bytef*>(data.data()),
                     static_cast<uLong>(data.size())) == Z_OK);
    CHECK(room >= data.size());
}

TEST_CASE("a body indexed chunk by chunk has the terms, wdf and positions of the body indexed whole") {
    auto schema = Schema::default_schema();
    Xapian::TermGenerator generator;
    schema.configure(generator);
    const auto* body_field = schema.snippet_field();
    for (unsigned seed : {1u, 2u, 3u}) {
        const auto body = long_body(100 * 1024, seed);
        auto doc = make_document(schema, normalize_record(schema, json{{"id", "x"}, {"body", body}}), generator);
        REQUIRE(read_stored(schema, doc, BodyReading::chunks).chunks);

        Xapian::Document whole;
        generator.set_document(whole);
        generator.set_termpos(0);
        generator.set_stemming_strategy(Xapian::TermGenerator::STEM_NONE);  // the prefixed words unstemmed
        generator.index_text(body, 1, body_field->prefix);
        generator.set_stemming_strategy(index_stemming_strategy);
        generator.set_termpos(0);
        generator.index_text_without_positions(body, body_field->weight);
        const auto expected = terms_and_positions(whole);
        auto actual = terms_and_positions(doc);
        // Only the id term and synonym phrase terms are more.
        std::erase_if(actual, [&](const auto& entry) {
            return !expected.contains(entry.first) &&
                   (entry.first.starts_with("Q") || entry.first.find(' ') != std::string::npos);
        });
        CHECK(actual == expected);
    }
}

TEST_CASE("a body shorter than the chunked size is stored as it is") {
    auto schema = Schema::default_schema();
    Xapian::TermGenerator generator;
    schema.configure(generator);
    const auto body = long_body(min_chunked_body_bytes - 100, 4);
    auto doc = make_document(schema, normalize_record(schema, json{{"id", "s"}, {"body", body}}), generator);
    const auto data = doc.get_data();
    CHECK(data.substr(data.find('\0') + 1) == body);
    CHECK_FALSE(read_stored(schema, doc, BodyReading::chunks).chunks);
}

TEST_CASE("a long body stored whole by earlier indexers is still read whole") {
    auto schema = Schema::default_schema();
    const auto body = long_body(80 * 1024, 5);
    Xapian::Document doc;
    doc.set_data(json{{"id", "old"}, {"title", "T"}}.dump() + std::string(1, '\0') + body);
    for (auto reading : {BodyReading::whole, BodyReading::chunks}) {
        auto stored = read_stored(schema, doc, reading);
        CHECK(stored.body == body);
        CHECK_FALSE(stored.chunks);
        CHECK(stored.fields["title"] == "T");
    }
}

namespace {

auto dictionary_for(const Schema& schema) -> RecordDictionary {
    std::istringstream lines(broadsheet::testing::news_records(1500));
    std::vector<std::string> samples;
    for (std::string line; std::getline(lines, line);)
        samples.push_back(*record_sample(schema, normalize_record(schema, json::parse(line))));
    auto bytes = train_record_dictionary(samples);
    REQUIRE(bytes);
    return RecordDictionary(std::move(*bytes));
}

}  // namespace

TEST_CASE("with a record dictionary the stored fields are compressed, scrambled, and read back the same") {
    auto schema = Schema::default_schema();
    Xapian::TermGenerator generator;
    schema.configure(generator);
    const auto dictionary = dictionary_for(schema);
    auto article = normalize_record(schema, json::parse(R"({"id": "d1", "title": "Texaco says crude oil output rose",
        "body": "NEW YORK, March 3 - Texaco Inc said its crude oil output rose 12.5 mln tonnes. Reuter",
        "date": "1987-03-03", "tags": ["crude oil", "earn"], "url": "http://x"})"));
    auto plain = make_document(schema, article, generator);
    auto packed = make_document(schema, article, generator, nullptr, &dictionary);
    REQUIRE_FALSE(packed.get_data().empty());
    CHECK(packed.get_data().front() == '\x02');
    CHECK(packed.get_data().size() < plain.get_data().size() / 2);
    CHECK(terms_of(packed) == terms_of(plain));

    auto read = read_stored(schema, packed, BodyReading::whole, &dictionary);
    auto expected = read_stored(schema, plain);
    CHECK(read.fields == expected.fields);
    CHECK(read.body == expected.body);
    CHECK(stored_fields(schema, packed, &dictionary) == stored_fields(schema, plain));
    // The plain layout reads the same with a dictionary at hand.
    CHECK(stored_fields(schema, plain, &dictionary) == stored_fields(schema, plain));

    // Glass deflates document data and keeps the result when it is shorter:
    // it must not be, or every read inflates it.
    const auto data = packed.get_data();
    auto room = compressBound(static_cast<uLong>(data.size()));
    std::string deflated(room, '\0');
    REQUIRE(compress(reinterpret_cast<Bytef*>(deflated.data()), &room, reinterpret_cast<const Bytef*>(data.data()),
                     static_cast<uLong>(data.size())) == Z_OK);
    CHECK(room >= data.size());
}

TEST_CASE("a compressed record without its dictionary is a clear error, not a crash") {
    auto schema = Schema::default_schema();
    Xapian::TermGenerator generator;
    schema.configure(generator);
    const auto dictionary = dictionary_for(schema);
    auto doc = make_document(schema,
                             normalize_record(schema, json{{"id", "d2"},
                                                           {"title", "Texaco says crude oil output rose"},
                                                           {"body",
                                                            "LONDON - Texaco Inc said its crude oil output "
                                                            "rose, the company said. Reuter"}}),
                             generator, nullptr, &dictionary);
    REQUIRE(doc.get_data().front() == '\x02');
    CHECK_THROWS_WITH_AS((void)read_stored(schema, doc), doctest::Contains("record dictionary"), std::runtime_error);
    auto damaged = doc.get_data();
    damaged.resize(damaged.size() / 2);
    doc.set_data(damaged);
    CHECK_THROWS_AS((void)read_stored(schema, doc, BodyReading::whole, &dictionary), std::runtime_error);
}

TEST_CASE("records stored before there were dictionaries read as they always did") {
    auto schema = Schema::default_schema();
    Xapian::Document doc;
    doc.set_data(std::string(R"({"id":"old","title":"Old"})") + '\0' + "the body");
    auto stored = read_stored(schema, doc);
    CHECK(stored.fields["title"] == "Old");
    CHECK(stored.body == "the body");
    auto with_dictionary = read_stored(schema, doc, BodyReading::whole, nullptr);
    CHECK(with_dictionary.body == "the body");
}

TEST_CASE("a long body stays in its chunks with a dictionary, and needs none to be read") {
    auto schema = Schema::default_schema();
    Xapian::TermGenerator generator;
    schema.configure(generator);
    const auto dictionary = dictionary_for(schema);
    const auto body = long_body(40 * 1024, 5);
    auto article = normalize_record(schema, json{{"id", "long"}, {"title", "T"}, {"body", body}});
    CHECK_FALSE(record_sample(schema, article));
    auto doc = make_document(schema, article, generator, nullptr, &dictionary);
    CHECK(doc.get_data().front() == '\x01');
    CHECK(read_stored(schema, doc).body == body);
    CHECK(read_stored(schema, doc, BodyReading::whole, &dictionary).body == body);
}
