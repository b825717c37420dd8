#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <xapian.h>

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
    "\xC3\xBC" "ber stra\xC3\x9F" "e: \xE6\x9D\xB1\xE4\xBA\xAC the caf\xC3\xA9 in Z\xC3\xBCrich "
    "is na\xC3\xAFve \xE2\x80\x94 se\xC3\xB1or \xC3\xBC" "ber alles, caf\xC3\xA9 cr\xC3\xA8me.";

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
        };
        for (const auto& raw : records)
            m_db.add_document(schema::make_document(m_schema, schema::normalize_record(m_schema, raw), generator));
        m_schema.configure(m_parser);
        m_parser.set_database(m_db);
    }

    /// The match for `q`, as the server computes it.
    [[nodiscard]] auto mset(const std::string& q) -> Xapian::MSet {
        auto request = parse_search_request({{"q", q}}, ServerConfig{}, m_schema);
        Xapian::Enquire enquire(m_db);
        enquire.set_query(build_query(request, m_schema, m_parser).query);
        return enquire.get_mset(0, 10);
    }

    [[nodiscard]] auto stemmer() const -> Xapian::Stem { return m_schema.stemmer(); }

    [[nodiscard]] auto snippet(const std::string& q, std::string_view text, int length) -> std::string {
        return make_snippet(mset(q), text, length, stemmer());
    }

    [[nodiscard]] auto highlight(const std::string& q, std::string_view text) -> std::string {
        return highlight_all(mset(q), text, stemmer());
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

// The only markup allowed in *_html output is <mark> and </mark>.
auto only_mark_tags(const std::string& html) -> bool {
    auto stripped = replace_all(replace_all(html, "<mark>", ""), "</mark>", "");
    return !contains(stripped, "<") && !contains(stripped, ">");
}

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
    CHECK(idx.highlight("nothing", "Bank says the central bank will act") ==
          "Bank says the central bank will act");
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

TEST_CASE("a phrase is marked as one passage") {
    auto& idx = index();
    const auto snippet = idx.snippet("\"interest rates rose\"", rates_body, 100);
    CHECK(marked(snippet) == std::vector<std::string>{"interest rates rose"});
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

    const auto title = idx.highlight("friends", "<b>AT&T</b> & \"friends\"");
    CHECK(only_mark_tags(title));
    CHECK(contains(title, "&lt;b&gt;AT&amp;T&lt;/b&gt; &amp;"));
    CHECK(contains(title, "<mark>friends</mark>"));
    CHECK(visible(title) == "<b>AT&T</b> & \"friends\"");
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

    CHECK(idx.snippet("marathon", "Short body.", 200) == "Short body.");
    CHECK(idx.snippet("marathon", unsafe_body, 40).starts_with("Shares in AT&amp;T fell"));
}

TEST_CASE("non-ASCII text is never split inside a character") {
    auto& idx = index();
    for (const std::string q : {"caf\xC3\xA9", "z\xC3\xBCrich", "se\xC3\xB1or", "marathon"}) {
        for (int length = 10; length <= 60; ++length) {
            INFO("query: ", q, ", length: ", length);
            const auto snippet = idx.snippet(q, unicode_body, length);
            CHECK(valid_utf8(snippet));
            CHECK_FALSE(snippet.empty());
            // Xapian measures roughly: allow one more multi-byte character.
            CHECK(visible(snippet).size() <= static_cast<std::size_t>(length) + 4);
        }
    }
    CHECK(contains(idx.snippet("caf\xC3\xA9", unicode_body, 30), "<mark>caf\xC3\xA9</mark>"));
    CHECK(idx.highlight("z\xC3\xBCrich", "Caf\xC3\xA9 in Z\xC3\xBCrich") ==
          "Caf\xC3\xA9 in <mark>Z\xC3\xBCrich</mark>");
}

TEST_CASE("a body of one long word is cut on a character boundary") {
    auto& idx = index();
    std::string word;
    for (int i = 0; i < 40; ++i) word += "\xC3\xA9";
    for (int length = 10; length <= 30; ++length) {
        INFO("length: ", length);
        const auto snippet = idx.snippet("marathon", word, length);
        CHECK(valid_utf8(snippet));
        CHECK(visible(snippet).size() <= static_cast<std::size_t>(length));
    }
}

TEST_CASE("empty text gives an empty string") {
    auto& idx = index();
    CHECK(idx.snippet("pound", "", 200).empty());
    CHECK(idx.highlight("pound", "").empty());
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
    CHECK(snippet.rfind("…", 0) == 0);                     // cut at the start
    CHECK(snippet.size() > 3);
    CHECK(snippet.compare(snippet.size() - 3, 3, "…") == 0);  // and at the end
    CHECK(snippet.size() < 200);
}

TEST_CASE("a phrase is highlighted as one span") {
    auto& small = index();
    auto snippet = small.snippet("\"interest rates rose\"", "Yesterday interest rates rose again, and rates fell later.", 200);
    CAPTURE(snippet);
    CHECK(snippet.find("<mark>interest rates rose</mark>") != std::string::npos);
    auto title = small.highlight("\"interest rates rose\"", "Interest rates rose again");
    CHECK(title.find("<mark>Interest rates rose</mark> again") != std::string::npos);
}
