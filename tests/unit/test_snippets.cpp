#include <doctest/doctest.h>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>
#include <nlohmann/json.hpp>

#include "broadsheet/schema/document.hpp"
#include "broadsheet/schema/schema.hpp"
#include "broadsheet/server/config.hpp"
#include "broadsheet/server/query_builder.hpp"
#include "broadsheet/server/snippets.hpp"

using namespace broadsheet::server;
namespace schema = broadsheet::schema;
using nlohmann::json;

namespace {

const std::string rates_body =
    "Mortgage holders face higher repayments after interest rates rose by a quarter of a point. "
    "The central bank said inflation was running ahead of its target and the labour market "
    "remained tight. Economists had expected the bank to pause, and the pound strengthened on "
    "the news. A rate rise had been rated unlikely by most analysts, who now expect further "
    "rises before the end of the year as rating agencies review the outlook.";

const std::string unsafe_body =
    "Shares in AT&T fell after the filing. <script>alert(1)</script> The \"merger\" was "
    "called off when regulators objected to the <b>price</b> & the terms.";

const std::string unicode_body =
    "Z\xC3\xBCrich caf\xC3\xA9 \xE2\x80\x94 na\xC3\xAFve se\xC3\xB1or \xC3\x85ngstr\xC3\xB6m "
    "\xC3\xBC"
    "ber stra\xC3\x9F"
    "e: \xE6\x9D\xB1\xE4\xBA\xAC the caf\xC3\xA9 in Z\xC3\xBCrich "
    "is na\xC3\xAFve \xE2\x80\x94 se\xC3\xB1or \xC3\xBC"
    "ber alles, caf\xC3\xA9 cr\xC3\xA8me.";

// Filler without any of the words the tests search for.
const std::string filler =
    "Nothing of note happened in the harbour that week, and the ferries kept to their timetable "
    "while the gulls argued over the fish market. ";

// An in-memory index of a few articles and the query parser the server would use.
class SmallIndex {
public:
    SmallIndex() {
        Xapian::TermGenerator generator;
        m_schema.configure(generator);
        const std::vector<json> records = {
            json{{"id", "rates"}, {"title", "Interest rates rose again"}, {"body", rates_body}},
            json{{"id", "unsafe"}, {"title", "<b>AT&T</b> & \"friends\""}, {"body", unsafe_body}},
            json{{"id", "unicode"}, {"title", "Caf\xC3\xA9 in Z\xC3\xBCrich"}, {"body", unicode_body}},
            json{{"id", "runner"}, {"title", "Runner runs"}, {"body", "She runs, he ran, they run."}},
            json{{"id", "prices"},
                 {"title", "Inflation"},
                 {"body", "Inflationary pressure and inflated prices."},
                 {"tags", {"economy"}}},
        };
        for (const auto& raw : records)
            m_db.add_document(schema::make_document(m_schema, schema::normalize_record(m_schema, raw), generator));
        m_schema.configure(m_parser);
        m_parser.set_database(m_db);
    }

    /// The query the server marks snippets for with these /search parameters.
    [[nodiscard]] auto query(const Params& params) -> Xapian::Query {
        auto request = parse_search_request(params, ServerConfig{}, m_schema);
        return build_query(request, m_schema, m_parser).parsed;
    }

    [[nodiscard]] auto body_terms(const std::string& q) -> SnippetTerms {
        return SnippetTerms(query({{"q", q}}), m_schema, *m_schema.snippet_field());
    }
    [[nodiscard]] auto title_terms(const std::string& q) -> SnippetTerms {
        return SnippetTerms(query({{"q", q}}), m_schema, *m_schema.title_field());
    }

    [[nodiscard]] auto snippet(const std::string& q, std::string_view text, int length) -> std::string {
        return make_snippet(body_terms(q), text, length);
    }

    [[nodiscard]] auto highlight(const std::string& q, std::string_view text) -> std::string {
        return highlight_all(title_terms(q), text);
    }

    [[nodiscard]] auto schema() const -> const schema::Schema& { return m_schema; }

private:
    schema::Schema m_schema = schema::Schema::default_schema();
    Xapian::WritableDatabase m_db{std::string(), Xapian::DB_BACKEND_INMEMORY};
    Xapian::QueryParser m_parser;
};

auto index() -> SmallIndex& {
    static SmallIndex instance;
    return instance;
}

auto contains(std::string_view haystack, std::string_view needle) -> bool {
    return haystack.find(needle) != std::string_view::npos;
}

auto replace_all(std::string text, std::string_view from, std::string_view to) -> std::string {
    for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
        text.replace(pos, from.size(), to);
    return text;
}

// The text a reader sees: without <mark>, ellipses and entities.
auto visible(std::string html) -> std::string {
    for (const char* markup : {"<mark>", "</mark>", "\xE2\x80\xA6"}) html = replace_all(html, markup, "");
    html = replace_all(html, "&lt;", "<");
    html = replace_all(html, "&gt;", ">");
    html = replace_all(html, "&quot;", "\"");
    html = replace_all(html, "&#39;", "'");
    return replace_all(html, "&amp;", "&");
}

// Every marked passage, in order.
auto marked(const std::string& html) -> std::vector<std::string> {
    std::vector<std::string> out;
    for (auto open = html.find("<mark>"); open != std::string::npos; open = html.find("<mark>", open + 1)) {
        auto close = html.find("</mark>", open);
        if (close == std::string::npos) break;
        out.push_back(html.substr(open + 6, close - open - 6));
    }
    return out;
}

auto valid_utf8(std::string_view text) -> bool {
    for (std::size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        std::size_t extra = 0;
        if (c < 0x80) extra = 0;
        else if (c >= 0xc2 && c <= 0xdf) extra = 1;
        else if (c >= 0xe0 && c <= 0xef) extra = 2;
        else if (c >= 0xf0 && c <= 0xf4) extra = 3;
        else return false;
        if (extra > text.size() - i - 1) return false;
        for (std::size_t k = 1; k <= extra; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return false;
        i += extra + 1;
    }
    return true;
}

// Characters (code points) of valid UTF-8.
auto chars(std::string_view text) -> std::size_t {
    std::size_t n = 0;
    for (char c : text) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
    return n;
}

// The only markup allowed in *_html output is <mark> and </mark>.
auto only_mark_tags(const std::string& html) -> bool {
    auto stripped = replace_all(replace_all(html, "<mark>", ""), "</mark>", "");
    return !contains(stripped, "<") && !contains(stripped, ">");
}

auto starts_cut(std::string_view html) -> bool { return html.starts_with("\xE2\x80\xA6"); }
auto ends_cut(std::string_view html) -> bool { return html.ends_with("\xE2\x80\xA6"); }

}  // namespace

TEST_CASE("the UTF-8 checker used by these tests rejects split characters") {
    CHECK(valid_utf8(unicode_body));
    CHECK(valid_utf8(""));
    CHECK_FALSE(valid_utf8("caf\xC3"));
    CHECK_FALSE(valid_utf8("\xE2\x80"));
    CHECK_FALSE(valid_utf8("\xA9 x"));
    CHECK_FALSE(valid_utf8("\xE6\x9D\xB1\xE4"));
}

TEST_CASE("matched terms are wrapped in mark") {
    auto& idx = index();
    const auto snippet = idx.snippet("pound", rates_body, 200);
    CHECK(marked(snippet) == std::vector<std::string>{"pound"});
    CHECK(only_mark_tags(snippet));

    const auto title = idx.highlight("interest", "Interest rates rose again");
    CHECK(title == "<mark>Interest</mark> rates rose again");
}

TEST_CASE("every occurrence in a title is marked and the title is kept whole") {
    auto& idx = index();
    CHECK(idx.highlight("central bank", "Bank says the central bank will act, bank by bank") ==
          "<mark>Bank</mark> says the <mark>central bank</mark> will act, "
          "<mark>bank</mark> by <mark>bank</mark>");
    CHECK(idx.highlight("nothing", "Bank says the central bank will act") == "Bank says the central bank will act");
}

TEST_CASE("stemmed forms of a query word are marked") {
    auto& idx = index();
    // "rates", "rate", "rated" and "rating" all stem to "rate"; "rises" does not.
    const auto snippet = idx.snippet("rates", rates_body, 1000);
    const auto marks = marked(snippet);
    CHECK(marks == std::vector<std::string>{"rates", "rate", "rated", "rating"});
    CHECK(contains(snippet, "rises"));
    CHECK_FALSE(contains(snippet, "<mark>rises"));

    CHECK(idx.highlight("rate", "Interest rates rose again") == "Interest <mark>rates</mark> rose again");
    CHECK(idx.highlight("running", "She runs, he ran, they run.") ==
          "She <mark>runs</mark>, he ran, they <mark>run</mark>.");
}

TEST_CASE("stems are the English stemmer's: rising and rises are rise, rose and risen are not") {
    auto& idx = index();
    // Xapian's english (Porter2) stemmer: rise, rises, rising -> "rise";
    // rose -> "rose", risen -> "risen" (irregular forms are not stemmed).
    const Xapian::Stem english("english");
    REQUIRE(english("rising") == "rise");
    REQUIRE(english("rose") == "rose");
    CHECK(idx.highlight("rise", "Prices rise, rose, rising, risen; rises again") ==
          "Prices <mark>rise</mark>, rose, <mark>rising</mark>, risen; <mark>rises</mark> again");
    // A capitalised query word is searched as written (Xapian's STEM_SOME):
    // only that word, in any case, is marked.
    CHECK(idx.highlight("Rising", "Rising prices rise") == "<mark>Rising</mark> prices rise");
}

TEST_CASE("a phrase is marked as one passage") {
    auto& idx = index();
    const auto snippet = idx.snippet("\"interest rates rose\"", rates_body, 100);
    CHECK(marked(snippet) == std::vector<std::string>{"interest rates rose"});
}

TEST_CASE("a phrase is marked only where all its words occur in order") {
    auto& idx = index();
    const std::string text = "Interest  rates rose, then rates fell and interest waned; interest rates rose again.";
    CHECK(marked(highlight_all(idx.body_terms("\"interest rates rose\""), text)) ==
          std::vector<std::string>{"Interest  rates rose", "interest rates rose"});
    // Loose words next to each other still read as one highlight.
    CHECK(marked(highlight_all(idx.body_terms("interest rates"), "Interest rates and rates")) ==
          std::vector<std::string>{"Interest rates", "rates"});
    // Overlapping occurrences of a phrase become one span. Punctuation does
    // not part words of a phrase (the index has no position for it).
    CHECK(highlight_all(idx.body_terms("\"bank bank\""), "bank bank bank or bank; bank") ==
          "<mark>bank bank bank</mark> or <mark>bank; bank</mark>");
    // A looser phrase (ADJ/3) marks its words wherever they are.
    CHECK(marked(highlight_all(idx.body_terms("rates ADJ/3 rose"), "rates had rose, rose")) ==
          std::vector<std::string>{"rates", "rose", "rose"});
}

TEST_CASE("a term holding spaces marks the whole run of words") {
    auto& idx = index();
    // Multi-word synonyms come out of the parser as terms such as "united states".
    const std::vector<Xapian::Query> members{Xapian::Query("usa"), Xapian::Query("united states"),
                                             Xapian::Query("Zus")};
    const Xapian::Query usa(Xapian::Query::OP_SYNONYM, members.begin(), members.end());
    const Xapian::Query query(Xapian::Query::OP_AND, usa, Xapian::Query("Zeconomi"));
    const SnippetTerms terms(query, idx.schema(), *idx.schema().snippet_field());
    CHECK(highlight_all(terms, "The United States economy; the united kingdom and the states; USA, US.") ==
          "The <mark>United States economy</mark>; the united kingdom and the states; "
          "<mark>USA</mark>, <mark>US</mark>.");
    // The same under a field's prefix, and as a stemmed run.
    const SnippetTerms prefixed(Xapian::Query("XBODYunited states"), idx.schema(), *idx.schema().snippet_field());
    CHECK(marked(highlight_all(prefixed, "united  states")) == std::vector<std::string>{"united  states"});
    const SnippetTerms stemmed(Xapian::Query("Zunit state"), idx.schema(), *idx.schema().snippet_field());
    CHECK(marked(highlight_all(stemmed, "United States, unit or states")) == std::vector<std::string>{"United States"});
}

TEST_CASE("the densest passage is chosen, not the first match") {
    auto& idx = index();
    std::string text = "Interest was the word of the day. ";
    for (int i = 0; i < 8; ++i) text += filler;
    text += "The central bank raised interest rates again as inflation stayed high. ";
    for (int i = 0; i < 8; ++i) text += filler;
    const auto snippet = idx.snippet("interest rates inflation", text, 160);
    CAPTURE(snippet);
    CHECK(contains(snippet, "<mark>interest rates</mark> again as <mark>inflation</mark>"));
    CHECK_FALSE(contains(snippet, "word of the day"));
}

TEST_CASE("a window with different query words beats one repeating a word") {
    auto& idx = index();
    std::string text = "Oil, oil and more oil: oil everywhere. ";
    for (int i = 0; i < 6; ++i) text += filler;
    text += "Later oil prices fell. ";
    for (int i = 0; i < 6; ++i) text += filler;
    const auto snippet = idx.snippet("oil prices", text, 100);
    CAPTURE(snippet);
    CHECK(contains(snippet, "<mark>oil prices</mark> fell"));
    CHECK_FALSE(contains(snippet, "everywhere"));
    // Between equals, more matches win, then the earliest.
    std::string repeats = "One oil here. ";
    for (int i = 0; i < 6; ++i) repeats += filler;
    repeats += "Oil and oil. ";
    for (int i = 0; i < 6; ++i) repeats += filler;
    repeats += "One oil there. ";
    CHECK(contains(idx.snippet("oil", repeats, 60), "<mark>Oil</mark> and <mark>oil</mark>"));
    std::string equals = "First oil here. " + filler + filler + "Second oil there.";
    CHECK(contains(idx.snippet("oil", equals, 40), "First <mark>oil</mark>"));
}

TEST_CASE("the snippet starts at a sentence start shortly before the match") {
    auto& idx = index();
    const std::string text = filler + filler + "The harbour pilot, a quiet man, said the new pier was a disgrace. " +
                             filler + filler;
    const auto snippet = idx.snippet("disgrace", text, 120);
    CAPTURE(snippet);
    CHECK(snippet.starts_with("\xE2\x80\xA6The harbour pilot"));
    CHECK(contains(snippet, "<mark>disgrace</mark>."));
    // Too far back (more than a third of the length): the match is centred instead.
    const auto centred = idx.snippet("disgrace", text, 60);
    CAPTURE(centred);
    CHECK_FALSE(contains(centred, "The harbour pilot"));
    CHECK(contains(centred, "<mark>disgrace</mark>"));
    CHECK(starts_cut(centred));
    CHECK(ends_cut(centred));
    // Further back than a third, but within the room the match leaves
    // before it: the sentence start rather than the end of the one before.
    const std::string long_sentence =
        filler + "The pilot, who had worked the harbour for years, said the new pier was a disgrace. " + filler;
    const auto from_sentence = idx.snippet("disgrace", long_sentence, 200);
    CAPTURE(from_sentence);
    CHECK(from_sentence.starts_with("\xE2\x80\xA6The pilot, who had worked"));
    // A new line starts a sentence too.
    const auto paragraph = idx.snippet("pier", filler + filler + "\nthe pier is closed " + filler, 100);
    CHECK(paragraph.starts_with("\xE2\x80\xA6the <mark>pier</mark> is closed"));
}

TEST_CASE("the ellipsis marks every cut and only cuts") {
    auto& idx = index();
    const std::string text = "Oil rose. " + filler + filler + "Oil fell.";
    const auto start = idx.snippet("rose", text, 60);
    CHECK_FALSE(starts_cut(start));
    CHECK(start.starts_with("Oil <mark>rose</mark>."));
    CHECK(ends_cut(start));
    const auto end = idx.snippet("fell", text, 60);
    CHECK(starts_cut(end));
    CHECK_FALSE(ends_cut(end));
    CHECK(end.ends_with("Oil <mark>fell</mark>."));
    const auto whole = idx.snippet("fell", "  Oil fell.  ", 60);
    CHECK(whole == "Oil <mark>fell</mark>.");
    // Cut at word boundaries: every word shown is a whole word of the text.
    for (int length = 15; length <= 120; length += 7) {
        INFO("length: ", length);
        const auto snippet = idx.snippet("ferries", filler + filler, length);
        auto shown = visible(snippet);
        CHECK(contains(filler + filler, shown));
        const auto at = (filler + filler).find(shown);
        CHECK((at == 0 || (filler + filler)[at - 1] == ' '));
        const auto after = at + shown.size();
        CHECK((after == (filler + filler).size() || (filler + filler)[after] == ' '));
    }
}

TEST_CASE("HTML in the article text comes out escaped") {
    auto& idx = index();
    for (const std::string q : {"script", "alert", "regulators", "shares", "price"}) {
        INFO("query: ", q);
        const auto snippet = idx.snippet(q, unsafe_body, 400);
        CHECK_FALSE(contains(snippet, "<script"));
        CHECK_FALSE(contains(snippet, "<b>"));
        CHECK(only_mark_tags(snippet));
        CHECK(contains(snippet, "AT&amp;T"));
        CHECK(contains(snippet, "&lt;"));
        CHECK_FALSE(contains(snippet, "& "));  // a bare ampersand
        CHECK(visible(snippet) == unsafe_body);
    }
    const auto snippet = idx.snippet("script", unsafe_body, 400);
    CHECK(contains(snippet, "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;"));
    // Cut short, still escaped.
    for (int length = 10; length < 80; ++length) {
        INFO("length: ", length);
        CHECK(only_mark_tags(idx.snippet("alert", unsafe_body, length)));
    }

    const auto title = idx.highlight("friends", "<b>AT&T</b> & \"friends\"");
    CHECK(only_mark_tags(title));
    CHECK(contains(title, "&lt;b&gt;AT&amp;T&lt;/b&gt; &amp;"));
    CHECK(contains(title, "<mark>friends</mark>"));
    CHECK(visible(title) == "<b>AT&T</b> & \"friends\"");
}

TEST_CASE("words are split as the indexer splits them") {
    auto& idx = index();
    CHECK(idx.highlight("AT&T", "AT&T and AT and T") == "<mark>AT&amp;T</mark> and AT and T");
    CHECK(idx.highlight("U.S.", "The U.S. and us") == "The <mark>U.S.</mark> and <mark>us</mark>");
    // A typographic apostrophe is the same as a plain one.
    CHECK(idx.highlight("don't", "I don\xE2\x80\x99t know, don't, dont") ==
          "I <mark>don\xE2\x80\x99t</mark> know, <mark>don&#39;t</mark>, dont");
    CHECK(idx.highlight("C++", "C++ and C") == "<mark>C++</mark> and C");
    CHECK(idx.highlight("1,000", "1,000 or 1 000") == "<mark>1,000</mark> or 1 000");
}

TEST_CASE("words are found exactly where the indexer finds them") {
    auto& idx = index();
    // Every term the TermGenerator makes of a text is found as often as it
    // counts it (its wdf), and every stem as often as words with that stem.
    std::string tricky =
        "AT&T's U.S. unit\xE2\x80\x94"
        "don\xE2\x80\x99t panic! C++ and C# coders; fish+chips, e-mail, 1,000.50 "
        "dollars, 3.5% rates. I.B.M. and U.N. staff. O'Neill's caf\xC3\xA9 in Z\xC3\xBCrich: na\xC3\xAFve "
        "\xC3\x89"
        "COLE r\xC3\xA9sum\xC3\xA9. Zero\xE2\x80\x8Bwidth joiner. snake_case words, foo_bar. "
        "(Parenthesised) \"quoted\" text... Mr. Smith's rates\xE2\x80\x94rating\xE2\x80\x94rated. A.B.C.d and "
        "X.Y. Z. C+++ and c++++ things. \xE6\x9D\xB1\xE4\xBA\xAC \xE5\xA4\xA7\xE9\x98\xAA\xE3\x80\x81"
        "\xE4\xBA\xAC\xE9\x83\xBD\xE3\x80\x82 \xC4\xB0stanbul \xC5\x9E\xC4\xB0\xC5\x9EL\xC4\xB0 "
        "\xC7\x85"
        "emal \xEF\xAC\x81nance 12,345,678 and 1.2.3 and 4;5 and 6;x. "
        "Supercalifragilisticexpialidocious-and-then-some-more-letters-until-it-is-very-long-indeed "
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa long. "
        "It's the end; isn't it? 'Quoted' words, \xE2\x80\x98"
        "curly\xE2\x80\x99 ones and L\xC2\xB7L.";
    for (const auto& text : {tricky, rates_body, unsafe_body, unicode_body, filler + filler}) {
        Xapian::TermGenerator generator;
        idx.schema().configure(generator);
        Xapian::Document doc;
        generator.set_document(doc);
        generator.index_text(text, 1, "XBODY");
        int terms = 0;
        for (auto term = doc.termlist_begin(); term != doc.termlist_end(); ++term) {
            INFO("term: ", *term);
            const SnippetTerms one(Xapian::Query(*term), idx.schema(), *idx.schema().snippet_field());
            CHECK(one.find(text).size() == term.get_wdf());
            ++terms;
        }
        CHECK(terms > 10);
        // Words next to each other in the index are next to each other here:
        // each pair of neighbours is found as a phrase as often as it occurs.
        std::map<Xapian::termpos, std::string> at;
        for (auto term = doc.termlist_begin(); term != doc.termlist_end(); ++term)
            for (auto pos = term.positionlist_begin(); pos != term.positionlist_end(); ++pos) at[*pos] = *term;
        std::map<std::pair<std::string, std::string>, std::size_t> pairs;
        for (const auto& [pos, term] : at)
            if (auto next = at.find(pos + 1); next != at.end() && next->second != term) ++pairs[{term, next->second}];
        CHECK(pairs.size() > 10);
        for (const auto& [pair, count] : pairs) {
            INFO("phrase: ", pair.first, " ", pair.second);
            const std::vector<Xapian::Query> words{Xapian::Query(pair.first), Xapian::Query(pair.second)};
            const Xapian::Query phrase(Xapian::Query::OP_PHRASE, words.begin(), words.end());
            CHECK(SnippetTerms(phrase, idx.schema(), *idx.schema().snippet_field()).find(text).size() == count);
        }
    }
}

TEST_CASE("a wildcard marks the words it expands to") {
    auto& idx = index();
    const std::string text = "Inflation, inflationary pressure, inflated prices; influence and infla.";
    CHECK(marked(highlight_all(idx.body_terms("infla*"), text)) ==
          std::vector<std::string>{"Inflation", "inflationary", "inflated", "infla"});
    // With a field: only that field's text.
    CHECK(marked(highlight_all(idx.body_terms("body:infla*"), text)).size() == 4);
    CHECK(marked(highlight_all(idx.title_terms("body:infla*"), text)).empty());
    CHECK(marked(highlight_all(idx.title_terms("title:infla*"), text)).size() == 4);
    // In a snippet, with other words.
    const auto snippet = idx.snippet("infla* pressure", filler + text + filler, 80);
    CHECK(contains(snippet, "<mark>inflationary pressure</mark>"));
}

TEST_CASE("only the terms for the field are marked") {
    auto& idx = index();
    const std::string text = "Rates and inflation";
    CHECK(marked(highlight_all(idx.body_terms("title:rates body:inflation"), text)) ==
          std::vector<std::string>{"inflation"});
    CHECK(marked(highlight_all(idx.title_terms("title:rates body:inflation"), text)) ==
          std::vector<std::string>{"Rates"});
    CHECK(marked(highlight_all(idx.title_terms("standfirst:rates"), text)).empty());
}

TEST_CASE("filters, ranges and excluded words are never marked") {
    auto& idx = index();
    const std::string text = "The economy and oil and gas in 2020 for whig voters";
    const auto body = [&](const Params& params) {
        return marked(
            highlight_all(SnippetTerms(idx.query(params), idx.schema(), *idx.schema().snippet_field()), text));
    };
    CHECK(body({{"q", "oil tag:economy"}}) == std::vector<std::string>{"oil"});
    CHECK(body({{"q", "oil"}, {"tag", "economy"}}) == std::vector<std::string>{"oil"});
    CHECK(body({{"q", "tag:economy"}}).empty());
    CHECK(body({{"q", "oil -gas"}}) == std::vector<std::string>{"oil"});
    CHECK(body({{"q", "oil NOT gas"}}) == std::vector<std::string>{"oil"});
    CHECK(body({{"q", "oil"}, {"year", "2020"}}) == std::vector<std::string>{"oil"});
    CHECK(body({{"q", "oil"}, {"from", "2020-01-01"}}) == std::vector<std::string>{"oil"});
    CHECK(body({{"q", "oil date:2020"}}) == std::vector<std::string>{"oil"});
    // An id term: Q + id.
    CHECK(highlight_all(SnippetTerms(Xapian::Query("Qeconomy"), idx.schema(), *idx.schema().snippet_field()), text) ==
          text);
}

TEST_CASE("a title whose escaping makes it longer is still kept whole") {
    auto& idx = index();
    const std::string title = "Q&A: R&D & M&A at AT&T <pound> & more & more & more & more & more & pound";
    const auto html = idx.highlight("pound", title);
    CHECK(visible(html) == title);
    CHECK(marked(html) == std::vector<std::string>{"pound", "pound"});
    CHECK_FALSE(contains(html, "\xE2\x80\xA6"));
}

TEST_CASE("the snippet length is bounded by the requested length") {
    auto& idx = index();
    for (int length : {10, 20, 40, 80, 120, 200}) {
        INFO("length: ", length);
        const auto snippet = idx.snippet("pound", rates_body, length);
        const auto text = visible(snippet);
        CHECK(text.size() <= static_cast<std::size_t>(length));
        CHECK(text.size() * 3 >= static_cast<std::size_t>(length));  // not trivially short
        CHECK(contains(snippet, "<mark>pound</mark>"));
        // The markup adds a little: one <mark></mark> and at most two ellipses.
        CHECK(snippet.size() <= static_cast<std::size_t>(length) + 13 + 6);
        CHECK(contains(snippet, "\xE2\x80\xA6"));  // cut somewhere
        CHECK(contains(rates_body, text.substr(0, text.size() / 2)));
    }
    // Every length, every kind of query: never longer, never split.
    for (const std::string q : {"rates", "pound", "\"interest rates rose\"", "bank inflation", "marathon", "rat*"}) {
        for (int length = 1; length <= 420; length += 3) {
            INFO("query: ", q, ", length: ", length);
            const auto snippet = idx.snippet(q, rates_body, length);
            CHECK(chars(visible(snippet)) <= static_cast<std::size_t>(length));
            CHECK(valid_utf8(snippet));
            CHECK_FALSE(snippet.empty());
        }
    }
}

TEST_CASE("a match longer than the length is cut to the length") {
    auto& idx = index();
    const auto snippet = idx.snippet("\"interest rates rose\"", rates_body, 12);
    CAPTURE(snippet);
    CHECK(visible(snippet).size() <= 12);
    CHECK(snippet.starts_with("\xE2\x80\xA6<mark>interest"));
    CHECK(ends_cut(snippet));
}

TEST_CASE("a body shorter than the length is returned whole") {
    auto& idx = index();
    const auto snippet = idx.snippet("pound", rates_body, 1000);
    CHECK(visible(snippet) == rates_body);
    CHECK_FALSE(contains(snippet, "\xE2\x80\xA6"));
}

TEST_CASE("a body with no match gives its start") {
    auto& idx = index();
    for (int length : {20, 50, 100, 200}) {
        INFO("length: ", length);
        const auto snippet = idx.snippet("marathon", rates_body, length);
        CHECK(marked(snippet).empty());
        CHECK(snippet.starts_with("Mortgage holders"));
        CHECK(snippet.ends_with("\xE2\x80\xA6"));
        CHECK(visible(snippet).size() <= static_cast<std::size_t>(length));
        CHECK(rates_body.starts_with(visible(snippet)));
    }
    // A document the query matched only in its title.
    const auto snippet = idx.snippet("again", rates_body, 60);
    CHECK(snippet.starts_with("Mortgage holders"));
    CHECK(idx.snippet("title:pound", rates_body, 60).starts_with("Mortgage holders"));

    CHECK(idx.snippet("marathon", "Short body.", 200) == "Short body.");
    CHECK(idx.snippet("marathon", unsafe_body, 40).starts_with("Shares in AT&amp;T fell"));
    CHECK(idx.snippet("marathon", " \n ", 40).empty());
}

TEST_CASE("non-ASCII text is never split inside a character") {
    auto& idx = index();
    for (const std::string q : {"caf\xC3\xA9", "z\xC3\xBCrich", "se\xC3\xB1or", "marathon"}) {
        for (int length = 10; length <= 60; ++length) {
            INFO("query: ", q, ", length: ", length);
            const auto snippet = idx.snippet(q, unicode_body, length);
            CHECK(valid_utf8(snippet));
            CHECK_FALSE(snippet.empty());
            // The length counts characters, not bytes.
            CHECK(chars(visible(snippet)) <= static_cast<std::size_t>(length));
        }
    }
    CHECK(contains(idx.snippet("caf\xC3\xA9", unicode_body, 30), "<mark>caf\xC3\xA9</mark>"));
    CHECK(idx.highlight("z\xC3\xBCrich", "Caf\xC3\xA9 in Z\xC3\xBCrich") ==
          "Caf\xC3\xA9 in <mark>Z\xC3\xBCrich</mark>");
}

TEST_CASE("accented words match in any case") {
    auto& idx = index();
    const std::string text = "Z\xC3\xBCrich, z\xC3\xBCrich, Z\xC3\x9CRICH and Zurich";
    const std::vector<std::string> all{"Z\xC3\xBCrich", "z\xC3\xBCrich", "Z\xC3\x9CRICH"};
    CHECK(marked(highlight_all(idx.body_terms("z\xC3\xBCrich"), text)) == all);  // stemmed: Zzürich
    CHECK(marked(highlight_all(idx.body_terms("Z\xC3\xBCrich"), text)) == all);  // as written: zürich
    CHECK(marked(highlight_all(idx.body_terms("Z\xC3\x9CRICH"), text)) == all);
}

TEST_CASE("multi-byte characters next to a cut stay whole") {
    auto& idx = index();
    std::string text;
    for (int i = 0; i < 30; ++i) text += "\xC3\xA9t\xC3\xA9 \xE2\x82\xAC\xF0\x9F\x98\x80 ";  // été €😀
    text += "pound ";
    for (int i = 0; i < 30; ++i) text += "\xE2\x80\x94\xC3\xA0\xF0\x9F\x98\x80\xC3\xA0 ";
    for (int length = 10; length <= 80; ++length) {
        INFO("length: ", length);
        const auto snippet = idx.snippet("pound", text, length);
        CHECK(valid_utf8(snippet));
        CHECK(contains(snippet, "<mark>pound</mark>"));
        CHECK(chars(visible(snippet)) <= static_cast<std::size_t>(length));
        CHECK(contains(text, visible(snippet)));
    }
}

TEST_CASE("CJK text gets the requested number of characters") {
    auto& idx = index();
    // Japanese without spaces: a run of ideographs is one word to Xapian (no
    // CJK n-grams), so the match is a word set off by punctuation.
    std::string text;
    const std::string today_sunny =
        "\xE4\xBB\x8A\xE6\x97\xA5\xE3\x81\xAF\xE6\x99\xB4\xE3\x82\x8C\xE3\x80\x82";  // 今日は晴れ。
    const std::string tomorrow_rain = "\xE6\x98\x8E\xE6\x97\xA5\xE3\x81\xAF\xE9\x9B\xA8\xE3\x80\x82";  // 明日は雨。
    for (int i = 0; i < 20; ++i) text += today_sunny;
    text += "\xE6\x9D\xB1\xE4\xBA\xAC\xE3\x80\x81";  // 東京、
    for (int i = 0; i < 20; ++i) text += tomorrow_rain;
    for (int length : {20, 30, 50}) {
        INFO("length: ", length);
        const auto snippet = idx.snippet("\xE6\x9D\xB1\xE4\xBA\xAC", text, length);
        CAPTURE(snippet);
        CHECK(valid_utf8(snippet));
        CHECK(contains(snippet, "<mark>\xE6\x9D\xB1\xE4\xBA\xAC</mark>"));
        const auto shown = chars(visible(snippet));
        CHECK(shown <= static_cast<std::size_t>(length));
        CHECK(shown * 3 >= static_cast<std::size_t>(length) * 2);  // characters, not bytes
    }
    // The lead of CJK text is cut by characters too.
    const auto lead = idx.snippet("marathon", text, 25);
    CHECK(valid_utf8(lead));
    CHECK(chars(visible(lead)) <= 25);
    CHECK(chars(visible(lead)) >= 18);
}

TEST_CASE("a body of one long word is cut on a character boundary") {
    auto& idx = index();
    std::string word;
    for (int i = 0; i < 40; ++i) word += "\xC3\xA9";
    for (int length = 10; length <= 30; ++length) {
        INFO("length: ", length);
        const auto snippet = idx.snippet("marathon", word, length);
        CHECK(valid_utf8(snippet));
        CHECK(chars(visible(snippet)) == static_cast<std::size_t>(length));
        CHECK(ends_cut(snippet));
    }
}

TEST_CASE("invalid UTF-8 in a text does not break the output further") {
    auto& idx = index();
    const std::string text = "bad \xC3 byte \xE2\x80 then pound \xFF and more";
    const auto snippet = idx.snippet("pound", text, 12);
    CHECK(contains(snippet, "<mark>pound</mark>"));
    CHECK(contains(highlight_all(idx.body_terms("pound"), text), "<mark>pound</mark>"));
}

TEST_CASE("empty text gives an empty string") {
    auto& idx = index();
    CHECK(idx.snippet("pound", "", 200).empty());
    CHECK(idx.highlight("pound", "").empty());
    CHECK(make_snippet(SnippetTerms(), "", 200).empty());
    CHECK(highlight_all(SnippetTerms(), "a <b>") == "a &lt;b&gt;");
    CHECK(make_snippet(SnippetTerms(), "Some text here", 9) == "Some text\xE2\x80\xA6");
}

TEST_CASE("a match deep in a long article is found past the first chunk") {
    auto& small = index();
    std::string text;
    while (text.size() < 40 * 1024) text += "Nothing of note happened in the harbour that week. ";
    text += "Then interest rates rose sharply. ";
    for (int i = 0; i < 200; ++i) text += "Quiet again. ";
    auto snippet = small.snippet("rates", text, 120);
    CAPTURE(snippet);
    CHECK(snippet.find("<mark>rates</mark>") != std::string::npos);
    CHECK(snippet.rfind("…", 0) == 0);  // cut at the start
    CHECK(snippet.size() > 3);
    CHECK(snippet.compare(snippet.size() - 3, 3, "…") == 0);  // and at the end
    CHECK(snippet.size() < 200);
}

TEST_CASE("a 200 KB body is searched whole for its best passage") {
    auto& idx = index();
    std::string text;
    while (text.size() < 100 * 1024) text += filler + "Oil was mentioned once. ";
    text += "The oil minister said crude prices and oil exports would rise, and prices at the pump too. ";
    while (text.size() < 200 * 1024) text += filler + "Oil again. ";
    const auto terms = idx.body_terms("oil prices exports");
    const auto snippet = make_snippet(terms, text, 200);
    CAPTURE(snippet);
    CHECK(contains(snippet,
                   "The <mark>oil</mark> minister said crude <mark>prices</mark> and "
                   "<mark>oil exports</mark> would rise"));
    CHECK(terms.find(text).size() > 1000);
    const auto whole = highlight_all(terms, text);
    CHECK(visible(whole) == text);
}

TEST_CASE("a phrase is highlighted as one span") {
    auto& small = index();
    auto snippet = small.snippet("\"interest rates rose\"",
                                 "Yesterday interest rates rose again, and rates fell later.", 200);
    CAPTURE(snippet);
    CHECK(snippet.find("<mark>interest rates rose</mark>") != std::string::npos);
    CHECK(marked(snippet).size() == 1);
    auto title = small.highlight("\"interest rates rose\"", "Interest rates rose again");
    CHECK(title.find("<mark>Interest rates rose</mark> again") != std::string::npos);
}

TEST_CASE("matches carry byte and character offsets") {
    auto& idx = index();
    const std::string text = "caf\xC3\xA9 caf\xC3\xA9";
    const auto matches = idx.body_terms("caf\xC3\xA9").find(text);
    REQUIRE(matches.size() == 2);
    CHECK(matches[1].begin == 6);
    CHECK(matches[1].end == 11);
    CHECK(matches[1].char_begin == 5);
    CHECK(matches[1].char_end == 9);
    CHECK(matches[0].term == matches[1].term);
}

namespace {

// Long articles, stored in chunks, and what their snippets should be: those
// of the whole body.
class LongIndex {
public:
    LongIndex() {
        Xapian::TermGenerator generator;
        m_schema.configure(generator);
        const std::vector<std::string> pieces = {
            "oil",
            "prices",
            "rose",
            "The",
            "U.S.",
            "crude",
            "exports",
            "said",
            "and",
            "of",
            "rising",
            "rates",
            "end.",
            "\"quoted.\"",
            "(aside)",
            "\n",
            "   ",
            "caf\xC3\xA9",
            "\xE6\x9D\xB1\xE4\xBA\xAC",
            "\xE2\x80\x94",
            "minister",
            "harbour",
            "ferries",
            "week.",
            "gulls",
            "market",
            "timetable",
            "nothing",
            "note",
            "happened",
        };
        auto state = 11u;
        for (int d = 0; d < 6; ++d) {
            std::string body;
            const auto bytes = static_cast<std::size_t>(40 + 40 * d) * 1024;
            while (body.size() < bytes) {
                state = state * 1103515245u + 12345u;
                // Query words grow rarer from article to article.
                const auto rare = (state >> 20) % static_cast<unsigned>(1 + d * d * 8) != 0;
                const auto piece = pieces[(state >> 16) % pieces.size()];
                body += rare && (piece == "oil" || piece == "prices" || piece == "crude") ? "harbour" : piece;
                body += (state >> 8) % 9 == 0 ? ".  " : " ";
            }
            add("long" + std::to_string(d), "Long article " + std::to_string(d), body);
        }
        // A chunk with no indexed word (one word longer than the indexer takes)
        // between "prices" and "oil", which the index takes for neighbours.
        std::string body;
        while (body.size() < schema::body_chunk_bytes - 7) body += "gulls ";
        body.resize(schema::body_chunk_bytes - 7);
        body += " prices " + std::string(30000, 'w') + " oil rose. ";
        while (body.size() < 60 * 1024) body += "Nothing of note happened. ";
        add("gap", "Gap", body);
        // A body with no query word at all.
        std::string quiet = "   ";
        while (quiet.size() < 50 * 1024) quiet += "Nothing of note happened in the harbour that week.  ";
        add("quiet", "Oil prices in the title only", quiet);
        // A phrase across a chunk boundary ("crude " ends the first chunk,
        // "oil" starts the second) and, just beyond its reach, a word that
        // makes the second chunk's window look more promising.
        std::string edge = "Nothing of note happened.";
        while (edge.size() + 6 <= schema::body_chunk_bytes - 6) edge += " gulls";
        edge.resize(schema::body_chunk_bytes - 6, ' ');
        edge += "crude oil gulls gulls gulls gulls gulls gulls gulls gulls gulls gold. ";
        while (edge.size() < 20 * 1024) edge += "Nothing of note happened. ";
        add("edge", "Edge", edge);
        m_schema.configure(m_parser);
        m_parser.set_database(m_db);
    }

    [[nodiscard]] auto terms(const std::string& q) -> SnippetTerms {
        auto request = parse_search_request({{"q", q}}, ServerConfig{}, m_schema);
        return SnippetTerms(build_query(request, m_schema, m_parser).parsed, m_schema, *m_schema.snippet_field());
    }

    struct Article {
        Xapian::docid did;
        std::string body;
    };
    [[nodiscard]] auto articles() const -> const std::vector<Article>& { return m_articles; }
    [[nodiscard]] auto db() const -> const Xapian::Database& { return m_db; }
    [[nodiscard]] auto schema() const -> const schema::Schema& { return m_schema; }

private:
    void add(const std::string& id, const std::string& title, const std::string& body) {
        Xapian::TermGenerator generator;
        m_schema.configure(generator);
        auto doc = schema::make_document(m_schema,
                                         schema::normalize_record(m_schema,
                                                                  json{{"id", id}, {"title", title}, {"body", body}}),
                                         generator);
        m_articles.push_back({m_db.add_document(doc), body});
    }

    schema::Schema m_schema = schema::Schema::default_schema();
    Xapian::WritableDatabase m_db{std::string(), Xapian::DB_BACKEND_INMEMORY};
    Xapian::QueryParser m_parser;
    std::vector<Article> m_articles;
};

}  // namespace

TEST_CASE("a long body read chunk by chunk gives the snippet of the whole body") {
    LongIndex index;
    const std::vector<std::string> queries = {
        "oil",
        "prices",
        "crude",
        "rates",
        "\"oil prices\"",
        "\"crude oil exports\"",
        "oil prices crude",
        "caf\xC3\xA9",
        "\"prices oil rose\"",
        "the",
        "zebra",
        "pri*",
        "oil -gulls",
    };
    std::size_t chunked = 0;
    for (const auto& article : index.articles()) {
        auto stored = schema::read_stored(index.schema(), index.db().get_document(article.did),
                                          schema::BodyReading::chunks);
        REQUIRE(stored.chunks);
        ++chunked;
        for (const auto& q : queries) {
            const auto terms = index.terms(q);
            ChunkedSnippets snippets(terms, index.db());
            for (int length : {10, 60, 200, 1000}) {
                CAPTURE(article.did);
                CAPTURE(q);
                CAPTURE(length);
                CHECK(snippets.make(*stored.chunks, article.did, length) == make_snippet(terms, article.body, length));
            }
        }
    }
    CHECK(chunked == 9);
}

TEST_CASE("a long body is marked across the chunk without an indexed word that a phrase spans") {
    LongIndex index;
    const auto& gap = index.articles()[6];
    auto stored = schema::read_stored(index.schema(), index.db().get_document(gap.did), schema::BodyReading::chunks);
    REQUIRE(stored.chunks);
    const auto terms = index.terms("\"prices oil\"");
    ChunkedSnippets snippets(terms, index.db());
    const auto snippet = snippets.make(*stored.chunks, gap.did, 100);
    CAPTURE(snippet);
    // Only as the phrase's first word is "prices" marked; the phrase runs on
    // into the long word, where the passage is cut.
    CHECK(snippet == "\xE2\x80\xA6<mark>prices</mark>\xE2\x80\xA6");
    CHECK(snippet == make_snippet(terms, gap.body, 100));
    CHECK(make_snippet(index.terms("prices"), gap.body, 100) != snippet);
}

TEST_CASE("a long body read chunk by chunk reads only the chunks its densest window can be in") {
    LongIndex index;
    std::size_t chunks = 0;
    std::size_t read = 0;
    for (const auto& article : index.articles()) {
        auto stored = schema::read_stored(index.schema(), index.db().get_document(article.did),
                                          schema::BodyReading::chunks);
        REQUIRE(stored.chunks);
        for (const auto& q : {"oil", "prices", "\"oil prices\"", "oil prices crude"}) {
            const auto terms = index.terms(q);
            ChunkedSnippets snippets(terms, index.db());
            CAPTURE(article.did);
            CAPTURE(q);
            CHECK(snippets.make(*stored.chunks, article.did, 200) == make_snippet(terms, article.body, 200));
            chunks += stored.chunks->chunks().size();
            read += snippets.chunks_read();
        }
    }
    CAPTURE(chunks);
    CAPTURE(read);
    // Every article but the quiet one holds these words in most of its chunks.
    CHECK(read * 2 < chunks);
}

TEST_CASE("a phrase across a chunk boundary is found whole when the later chunk is read first") {
    LongIndex index;
    const auto& edge = index.articles()[8];
    auto stored = schema::read_stored(index.schema(), index.db().get_document(edge.did), schema::BodyReading::chunks);
    REQUIRE(stored.chunks);
    REQUIRE(stored.chunks->chunks().size() > 2);
    CHECK(stored.chunks->chunks()[1].begin == edge.body.find("oil"));
    const auto terms = index.terms("oil \"crude oil\" gold");
    ChunkedSnippets snippets(terms, index.db());
    // 21 characters reach 10 positions: from "oil" to "gold", not from "crude".
    const auto snippet = snippets.make(*stored.chunks, edge.did, 21);
    CAPTURE(snippet);
    CHECK(snippet.find("<mark>crude oil</mark>") != std::string::npos);
    CHECK(snippet == make_snippet(terms, edge.body, 21));
    // The phrase alone: its window reaches no start of a match past "crude".
    const auto phrase = index.terms("\"crude oil\"");
    ChunkedSnippets phrase_snippets(phrase, index.db());
    const auto phrase_snippet = phrase_snippets.make(*stored.chunks, edge.did, 21);
    CAPTURE(phrase_snippet);
    CHECK(phrase_snippet.find("<mark>crude oil</mark>") != std::string::npos);
    CHECK(phrase_snippet == make_snippet(phrase, edge.body, 21));
}
