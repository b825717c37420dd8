// Which words are marked for a query: the terms the query has for a field,
// read through the public API or, for wildcards, from Xapian's serialisation.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>
#include <nlohmann/json.hpp>

#include "broadsheet/schema/document.hpp"
#include "broadsheet/schema/schema.hpp"
#include "broadsheet/server/config.hpp"
#include "broadsheet/server/query_builder.hpp"
#include "broadsheet/server/snippet_query_format.hpp"
#include "broadsheet/server/snippet_terms.hpp"

using namespace broadsheet::server;
namespace schema = broadsheet::schema;
using nlohmann::json;

namespace {

// Chinese: "北京 上海、广州。" and Japanese: "東京 大阪、京都。日本語のテキスト".
const std::string chinese =
    "\xE5\x8C\x97\xE4\xBA\xAC \xE4\xB8\x8A\xE6\xB5\xB7\xE3\x80\x81\xE5\xB9\xBF\xE5\xB7\x9E\xE3\x80\x82";
const std::string japanese =
    "\xE6\x9D\xB1\xE4\xBA\xAC \xE5\xA4\xA7\xE9\x98\xAA\xE3\x80\x81\xE4\xBA\xAC\xE9\x83\xBD\xE3\x80\x82"
    "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\x86\xE3\x82\xAD\xE3\x82\xB9\xE3\x83\x88";
const std::string beijing = "\xE5\x8C\x97\xE4\xBA\xAC";
const std::string guangzhou = "\xE5\xB9\xBF\xE5\xB7\x9E";
const std::string tokyo = "\xE6\x9D\xB1\xE4\xBA\xAC";
const std::string kyoto = "\xE4\xBA\xAC\xE9\x83\xBD";

const std::string prices_body =
    "Inflation, inflationary pressure, inflated prices; influence and infla. Interest rates rose as "
    "the bank raised its rate, and bankers expect the banks to keep rating the risk high.";

// An in-memory index of a few articles and the query parser the server would use.
class SmallIndex {
public:
    SmallIndex() {
        Xapian::TermGenerator generator;
        m_schema.configure(generator);
        const std::vector<json> records = {
            json{{"id", "zh"}, {"title", "Chinese cities"}, {"body", chinese}},
            json{{"id", "ja"}, {"title", "Japanese cities"}, {"body", japanese}},
            json{{"id", "prices"}, {"title", "Inflation and rates"}, {"body", prices_body}},
        };
        for (const auto& raw : records)
            m_db.add_document(schema::make_document(m_schema, schema::normalize_record(m_schema, raw), generator));
        m_schema.configure(m_parser);
        m_parser.set_database(m_db);
    }

    /// The query the server runs.
    [[nodiscard]] auto query(const std::string& q) -> Xapian::Query {
        auto request = parse_search_request(Params{{"q", q}}, ServerConfig{}, m_schema);
        return build_query(request, m_schema, m_parser).query;
    }
    /// The query the server marks snippets for.
    [[nodiscard]] auto parsed(const std::string& q) -> Xapian::Query {
        auto request = parse_search_request(Params{{"q", q}}, ServerConfig{}, m_schema);
        return build_query(request, m_schema, m_parser).parsed;
    }

    [[nodiscard]] auto matches(const std::string& q, std::string_view text,
                               QueryReading reading = QueryReading::serialisation_if_known)
        -> std::vector<std::string> {
        return matches(parsed(q), text, reading);
    }

    [[nodiscard]] auto matches(const Xapian::Query& query, std::string_view text,
                               QueryReading reading = QueryReading::serialisation_if_known)
        -> std::vector<std::string> {
        const SnippetTerms terms(query, m_schema, *m_schema.snippet_field(), reading);
        std::vector<std::string> out;
        for (const auto& match : terms.find(text)) out.emplace_back(text.substr(match.begin, match.end - match.begin));
        return out;
    }

    [[nodiscard]] auto title_matches(const std::string& q, std::string_view text, QueryReading reading)
        -> std::vector<std::string> {
        const SnippetTerms terms(parsed(q), m_schema, *m_schema.title_field(), reading);
        std::vector<std::string> out;
        for (const auto& match : terms.find(text)) out.emplace_back(text.substr(match.begin, match.end - match.begin));
        return out;
    }

    // The ids of the articles the query finds.
    [[nodiscard]] auto search(const std::string& q) -> std::vector<std::string> {
        Xapian::Enquire enquire(m_db);
        enquire.set_query(query(q));
        std::vector<std::string> ids;
        const auto found = enquire.get_mset(0, 10);
        for (auto it = found.begin(); it != found.end(); ++it) {
            const auto data = json::parse(it.get_document().get_data());
            ids.push_back(data.value("id", ""));
        }
        return ids;
    }

private:
    schema::Schema m_schema = schema::Schema::default_schema();
    Xapian::WritableDatabase m_db{std::string(), Xapian::DB_BACKEND_INMEMORY};
    Xapian::QueryParser m_parser;
};

auto index() -> SmallIndex& {
    static SmallIndex instance;
    return instance;
}

using Words = std::vector<std::string>;

}  // namespace

TEST_CASE("an indexed Chinese query word is found and marked") {
    auto& idx = index();
    CHECK(idx.search(beijing) == Words{"zh"});
    CHECK(idx.matches(beijing, chinese) == Words{beijing});
    CHECK(idx.matches(guangzhou, chinese) == Words{guangzhou});
}

TEST_CASE("an indexed Japanese query word is found and marked") {
    auto& idx = index();
    CHECK(idx.search(tokyo) == Words{"ja"});
    CHECK(idx.matches(tokyo, japanese) == Words{tokyo});
    CHECK(idx.matches(kyoto, japanese) == Words{kyoto});
}

TEST_CASE("CJK characters inside a longer indexed word are neither found nor marked") {
    auto& idx = index();
    // "日本" is part of the one word "日本語のテキスト" in the index (no n-grams).
    const std::string nihon = "\xE6\x97\xA5\xE6\x9C\xAC";
    CHECK(idx.search(nihon).empty());
    CHECK(idx.matches(nihon, japanese).empty());
}

TEST_CASE("the query serialisation is read only for Xapian releases it knows") {
    CHECK(knows_query_serialisation(1, 4, 22));
    CHECK(knows_query_serialisation(1, 4, 0));
    CHECK_FALSE(knows_query_serialisation(1, 5, 0));
    CHECK_FALSE(knows_query_serialisation(2, 0, 0));
    CHECK_FALSE(knows_query_serialisation(1, 2, 25));
    const Xapian::Query wildcard(Xapian::Query::OP_WILDCARD, "XBODYinfla");
    const auto pattern = wildcard_pattern(wildcard);
    if (knows_running_query_serialisation()) {
        CHECK(pattern == std::optional<std::string>("XBODYinfla"));
    } else {
        CHECK_FALSE(pattern.has_value());
    }
    CHECK_FALSE(wildcard_pattern(Xapian::Query("infla")).has_value());
}

TEST_CASE("without the serialisation, wildcards are marked where Xapian expands them") {
    auto& idx = index();
    const auto api = QueryReading::public_api_only;
    CHECK(idx.matches("infla*", prices_body, api) == Words{"Inflation", "inflationary", "inflated", "infla"});
    CHECK(idx.matches("body:infla*", prices_body, api).size() == 4);
    CHECK(idx.title_matches("body:infla*", prices_body, api).empty());
    CHECK(idx.title_matches("title:infla*", prices_body, api).size() == 4);
    CHECK(idx.matches("bank* -rates", prices_body, api) == Words{"bank", "bankers", "banks"});
}

TEST_CASE("both ways of reading a query mark the same words") {
    auto& idx = index();
    const std::vector<std::string> queries = {"infla*",
                                              "body:infla*",
                                              "title:infla*",
                                              "bank* rat*",
                                              "\"infla* pressure\"",
                                              "\"interest rat*\" bank*",
                                              "inflation -infla*",
                                              "rates NEAR bank*",
                                              "tag:economy infla*",
                                              "rate",
                                              "\"interest rates rose\"",
                                              beijing + " " + tokyo,
                                              "zz*",
                                              "*",
                                              "body:*",
                                              "infla* infla*",
                                              "title:infla* body:infla*"};
    for (const auto& text : {prices_body, chinese, japanese}) {
        for (const auto& q : queries) {
            INFO("query: ", q);
            CHECK(idx.matches(q, text, QueryReading::public_api_only) ==
                  idx.matches(q, text, QueryReading::serialisation_if_known));
        }
    }
}

TEST_CASE("a phrase marks only its adjacent words, a looser window each word") {
    auto& idx = index();
    const std::string text = "interest rates rose; rates of interest";
    CHECK(idx.matches("\"interest rates\"", text) == Words{"interest rates"});
    CHECK(idx.matches("interest ADJ/3 rates", text) == Words{"interest", "rates", "rates", "interest"});
}

namespace {

// The words inside <mark> in `html`, in order (a mark holding a phrase gives each of its words).
auto marked_words(const std::string& html) -> Words {
    Words words;
    for (auto open = html.find("<mark>"); open != std::string::npos; open = html.find("<mark>", open + 1)) {
        const auto close = html.find("</mark>", open);
        REQUIRE(close != std::string::npos);
        const auto span = html.substr(open + 6, close - open - 6);
        for (std::size_t start = 0; start < span.size();) {
            const auto space = std::min(span.find(' ', start), span.size());
            if (space > start) words.push_back(span.substr(start, space - start));
            start = space + 1;
        }
    }
    return words;
}

// The words SnippetTerms marks in `text`, split the same way.
auto our_marked_words(const SnippetTerms& terms, const std::string& text) -> Words {
    std::string html;
    for (const auto& match : terms.find(text))
        html += "<mark>" + text.substr(match.begin, match.end - match.begin) + "</mark>";
    return marked_words(html);
}

}  // namespace

TEST_CASE("the words marked are those Xapian's MSet::snippet marks, the reference") {
    auto& idx = index();
    const auto the_schema = schema::Schema::default_schema();
    const std::string english =
        "Interest rates rose as the bank raised its rate; bankers expect rising rates and "
        "inflationary pressure. Rates of interest, the Bank said, rose again.";
    const std::vector<std::pair<std::string, Words>> cases = {
        {english,
         {"rates", "bank", "interest rates", "\"interest rates\"", "infla*", "rise bank*", "\"rates rose\" pressure"}},
        {chinese, {beijing, guangzhou + " " + beijing}},
        {japanese, {tokyo, kyoto}},
    };
    for (const auto& [text, queries] : cases) {
        Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
        Xapian::TermGenerator generator;
        the_schema.configure(generator);
        Xapian::Document doc;
        generator.set_document(doc);
        generator.index_text(text);
        db.add_document(doc);
        for (const auto& q : queries) {
            INFO("query: ", q);
            Xapian::Enquire enquire(db);
            enquire.set_query(idx.parsed(q));  // over a document indexed without fields
            const auto found = enquire.get_mset(0, 1);
            REQUIRE(found.size() == 1);
            const auto reference = marked_words(found.snippet(text, text.size() * 2, the_schema.stemmer(),
                                                              Xapian::MSet::SNIPPET_EXHAUSTIVE, "<mark>", "</mark>",
                                                              ""));
            CHECK_FALSE(reference.empty());
            for (const auto reading : {QueryReading::serialisation_if_known, QueryReading::public_api_only}) {
                const SnippetTerms terms(idx.parsed(q), the_schema, *the_schema.snippet_field(), reading);
                CHECK(our_marked_words(terms, text) == reference);
            }
        }
    }
}
