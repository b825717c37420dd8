#include "fuzz_support.hpp"

#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "broadsheet/schema/document.hpp"
#include "broadsheet/schema/synonyms.hpp"
#include "broadsheet/schema/text.hpp"

namespace broadsheet::fuzz {

using nlohmann::json;

SmallIndex::SmallIndex() {
    auto dir = std::filesystem::temp_directory_path() / ("broadsheet-fuzz-index-" + std::to_string(::getpid()));
    Xapian::WritableDatabase db(dir.string(), Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_NO_SYNC);
    // Hand-written articles: enough distinct words for wildcards to expand
    // (and to exceed a small expansion limit), synonyms, stopwords, dates, tags.
    const std::vector<json> records = {
        json{{"id", "rates"},
             {"title", "Central bank raises interest rates"},
             {"subtitle", "A quarter point, the first rise in years"},
             {"body",
              "Interest rates rose by a quarter of a point on Wednesday. The bank said inflation "
              "was running ahead of its target. \"We will act again if needed,\" the governor said."},
             {"date", "2014-08-06T12:00:00"},
             {"tags", {"Economy", "Banking"}}},
        json{{"id", "us-trade"},
             {"title", "United States and the EU agree on trade"},
             {"body",
              "The United States of America and the European Union signed a trade deal. "
              "The U.S. negotiator called it historic; the IMF welcomed it."},
             {"date", "2015-03"},
             {"tags", {"trade"}}},
        json{{"id", "marathon"},
             {"title", "Local runner wins the marathon"},
             {"body",
              "She runs every morning, ran in Boston last year and will run in Berlin next. "
              "Running, runner, runs: infla inflatable inflation inflated inflating."},
             {"date", "1999"},
             {"tags", {"sport", "running"}}},
        json{{"id", "cafe"},
             {"title", "Caf\xC3\xA9 in Z\xC3\xBCrich"},
             {"body",
              "Z\xC3\xBCrich caf\xC3\xA9 \xE2\x80\x94 na\xC3\xAFve se\xC3\xB1or. \xE6\x9D\xB1\xE4\xBA\xAC"
              "\xE3\x81\xAE\xE5\xA4\xA9\xE6\xB0\x97\xE3\x80\x82 The who and the what."},
             {"date", "2020-02-29T23:59:60Z"},
             {"tags", {"travel"}}},
        json{{"id", "ai"},
             {"title", "AI and the chief executive"},
             {"body",
              "Artificial intelligence (AI) worries the CEO; the chief executive officer of "
              "AT&T said so at the NYSE. Shares rose 3.5% to $1,200 on 2014-06-03."},
             {"tags", {"technology", "business"}}},
    };
    Xapian::TermGenerator generator;
    m_schema.configure(generator);
    // Spelling data, as the indexer keeps by default, for "did you mean".
    generator.set_database(db);
    generator.set_flags(Xapian::TermGenerator::FLAG_SPELLING);
    for (const auto& raw : records) {
        auto article = schema::normalize_record(m_schema, raw);
        auto id = article[m_schema.id_field().name].get<std::string>();
        db.replace_document(m_schema.id_term(id), schema::make_document(m_schema, article, generator));
    }
    // As the indexer does for every generation.
    m_schema.synonyms().write_to(db, m_schema.stemmer(), m_schema.stopper());
    schema::write_stopword_keys(db, m_schema.stopwords(), m_schema.stemmer());
    db.close();
    // The open database keeps its files open, so nothing is left behind, even after a crash.
    m_db = Xapian::Database(dir.string());
    std::filesystem::remove_all(dir);
    if (m_db.get_doccount() != records.size() || m_db.synonyms_begin("us") == m_db.synonyms_end("us") ||
        m_db.get_spelling_suggestion("marathin").empty())
        fail("the small index lost documents, synonyms or spelling data", "");

    // A low limit, so that wildcards hit it as well as expand.
    m_limits.max_wildcard_expansion = 8;
    m_schema.configure(m_parser);
    m_parser.set_database(m_db);
    m_parser.set_max_expansion(static_cast<Xapian::termcount>(m_limits.max_wildcard_expansion),
                               Xapian::Query::WILDCARD_LIMIT_ERROR);
}

auto small_index() -> SmallIndex& {
    static SmallIndex index;
    return index;
}

auto parse_params(std::string_view input) -> server::Params {
    server::Params params;
    while (!input.empty()) {
        auto end = input.find('\n');
        auto line = input.substr(0, end);
        auto equals = line.find('=');
        if (equals == std::string_view::npos) {
            params.emplace(std::string(line), std::string());
        } else {
            params.emplace(std::string(line.substr(0, equals)), std::string(line.substr(equals + 1)));
        }
        if (end == std::string_view::npos) break;
        input.remove_prefix(end + 1);
    }
    return params;
}

auto shown_text(std::string_view html, std::string_view input) -> std::string {
    static constexpr std::pair<std::string_view, char> escapes[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
    std::string shown;
    bool in_mark = false;
    std::size_t at = 0;
    while (at < html.size()) {
        auto rest = html.substr(at);
        if (rest.front() == '<') {
            if (rest.starts_with("<mark>")) {
                if (in_mark) fail("nested <mark>", input);
                in_mark = true;
                at += 6;
            } else if (rest.starts_with("</mark>")) {
                if (!in_mark) fail("</mark> without <mark>", input);
                in_mark = false;
                at += 7;
            } else {
                fail("a '<' that is not a <mark> tag: the text was not escaped", input);
            }
        } else if (rest.front() == '&') {
            bool known = false;
            for (const auto& [escape, character] : escapes) {
                if (rest.starts_with(escape)) {
                    shown += character;
                    at += escape.size();
                    known = true;
                    break;
                }
            }
            if (!known) fail("an '&' that is not an escape: the text was not escaped", input);
        } else if (rest.front() == '>' || rest.front() == '"' || rest.front() == '\'') {
            fail("an unescaped > \" or '", input);
        } else {
            shown += rest.front();
            ++at;
        }
    }
    if (in_mark) fail("<mark> not closed", input);
    return shown;
}

}  // namespace broadsheet::fuzz
