#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "broadsheet/schema/dates.hpp"
#include "broadsheet/server/html.hpp"
#include "broadsheet/server/query_builder.hpp"
#include "broadsheet/server/results.hpp"

using namespace broadsheet::server;
namespace schema = broadsheet::schema;

namespace {

constexpr const char* chrome_accept =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;"
    "q=0.8,application/signed-exchange;v=b3;q=0.7";
constexpr const char* firefox_accept =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
constexpr const char* safari_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

auto contains(std::string_view haystack, std::string_view needle) -> bool {
    return haystack.find(needle) != std::string_view::npos;
}

auto count(std::string_view haystack, std::string_view needle) -> std::size_t {
    std::size_t n = 0;
    for (auto pos = haystack.find(needle); pos != std::string_view::npos; pos = haystack.find(needle, pos + 1)) ++n;
    return n;
}

auto request_for(const std::string& query) -> SearchRequest {
    SearchRequest request;
    request.query = query;
    return request;
}

// A result as SearchService::search returns it for a page, with `hits`
// hits of which the first carries hostile plain-text fields.
auto result_json(unsigned long long total, int hits, int first_rank = 1) -> SearchResult {
    SearchResult result;
    result.query = "q";
    result.total = static_cast<Xapian::doccount>(total);
    result.took_ms = 0.42;
    result.generation = "1";
    result.topic_filter = "tag";
    for (int i = 0; i < hits; ++i) {
        Hit hit;
        hit.id = "story/" + std::to_string(first_rank + i) + " a&b";
        hit.rank = static_cast<Xapian::doccount>(first_rank + i);
        hit.score = 1.5;
        hit.shown.title = "Plain title " + std::to_string(i);
        hit.title_html = "Plain title " + std::to_string(i);
        hit.shown.date = "2014-08-06";
        hit.shown.topics = {"economy"};
        hit.snippet_html = "a <mark>plain</mark> snippet";
        if (i == 0) {
            hit.shown.title = "Interest <rates> & \"more\"";
            hit.title_html = "<mark>Interest</mark> &lt;rates&gt; &amp; &quot;more&quot;";
            hit.shown.date = "2014-08-06<b>bold date</b>";
            hit.shown.topics = {"<b>economy</b>", "R&D"};
            hit.snippet_html = "\xE2\x80\xA6<mark>interest</mark> rates rose &lt;b&gt;\xE2\x80\xA6";
        }
        result.hits.push_back(std::move(hit));
    }
    return result;
}

auto overview_of(std::vector<Facet> facets) -> Overview {
    Overview overview;
    overview.documents = 42;
    overview.facets = std::move(facets);
    overview.topic_filter = "tag";
    return overview;
}

}  // namespace

TEST_CASE("html_escape escapes all five special characters") {
    CHECK(html_escape("&") == "&amp;");
    CHECK(html_escape("<") == "&lt;");
    CHECK(html_escape(">") == "&gt;");
    CHECK(html_escape("\"") == "&quot;");
    CHECK(html_escape("'") == "&#39;");
    CHECK(html_escape("<a href=\"x\" title='y'>AT&T</a>") ==
          "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;AT&amp;T&lt;/a&gt;");
    CHECK(html_escape("&amp;") == "&amp;amp;");  // not double-escape-aware: it escapes text
    CHECK(html_escape("") == "");
    CHECK(html_escape("plain text, Z\xC3\xBCrich \xE2\x80\x94 caf\xC3\xA9") ==
          "plain text, Z\xC3\xBCrich \xE2\x80\x94 caf\xC3\xA9");
}

TEST_CASE("url_encode percent-encodes everything but unreserved characters") {
    CHECK(url_encode("abcXYZ019-_.~") == "abcXYZ019-_.~");
    CHECK(url_encode("interest rates") == "interest%20rates");
    CHECK(url_encode("a&b=c+d/e?f#g%") == "a%26b%3Dc%2Bd%2Fe%3Ff%23g%25");
    CHECK(url_encode("\"<script>\"") == "%22%3Cscript%3E%22");
    CHECK(url_encode("caf\xC3\xA9") == "caf%C3%A9");
    CHECK(url_encode(std::string("a\0b", 3)) == "a%00b");
    CHECK(url_encode("") == "");
}

TEST_CASE("browsers' Accept headers prefer HTML") {
    CHECK(prefers_html(chrome_accept));
    CHECK(prefers_html(firefox_accept));
    CHECK(prefers_html(safari_accept));
    CHECK(prefers_html("text/html"));
    CHECK(prefers_html("application/json;q=0.5, text/html"));
}

TEST_CASE("API clients' Accept headers do not prefer HTML") {
    CHECK_FALSE(prefers_html("*/*"));
    CHECK_FALSE(prefers_html(""));
    CHECK_FALSE(prefers_html("application/json"));
    CHECK_FALSE(prefers_html("text/html;q=0.5, application/json"));
    CHECK_FALSE(prefers_html("application/json, text/html;q=0.9"));
    CHECK_FALSE(prefers_html("text/html;q=0"));
    CHECK_FALSE(prefers_html("text/plain"));
}

TEST_CASE("the search page shows hits with titles as given and other fields escaped") {
    const auto html = render_search_page(result_json(3, 3), request_for("interest"));
    CHECK(html.starts_with("<!doctype html>"));
    CHECK(contains(html, "<mark>Interest</mark> &lt;rates&gt; &amp; &quot;more&quot;"));
    CHECK(contains(html, "<time>2014-08-06&lt;b&gt;bold date&lt;/b&gt;</time>"));
    CHECK(contains(html, "&lt;b&gt;economy&lt;/b&gt;"));
    CHECK(contains(html, "R&amp;D"));
    CHECK_FALSE(contains(html, "<b>"));
    CHECK(contains(html, "<mark>interest</mark> rates rose &lt;b&gt;"));
    CHECK(count(html, "<article>") == 3);
    // The link to the article encodes the id for a URL and the URL for HTML.
    CHECK(contains(html, "href=\"/articles/story%2F1%20a%26b?q=interest\""));
}

TEST_CASE("the query is echoed escaped in the search box and the page title") {
    const std::string query = "\"<script>alert(1)</script>\" rates";
    const auto html = render_search_page(result_json(1, 1), request_for(query));
    CHECK(count(html, "<script") == 1);  // the page's own autocomplete script, nothing injected
    CHECK_FALSE(contains(html, "<script>alert"));
    CHECK(contains(html, "value=\"&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; rates\""));
    CHECK(contains(html, "<title>&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; rates"));
}

TEST_CASE("the result count is shown") {
    CHECK(contains(render_search_page(result_json(3, 3), request_for("a")), "3 results"));
    CHECK(contains(render_search_page(result_json(1, 1), request_for("a")), "1 result ("));
    auto estimate = result_json(1234, 10);
    estimate.total_exact = false;
    CHECK(contains(render_search_page(estimate, request_for("a")), "about 1234 results"));
}

TEST_CASE("pagination links appear when there are more hits than one page and keep the filters") {
    auto request = request_for("interest rates");
    request.op = DefaultOperator::or_;
    request.sort = SortOrder::date_descending;
    request.size = 5;
    request.from = schema::parse_date("2014-01-01");
    request.to = schema::parse_date("2014-12-31");
    request.filters = {{"tag", "R&D"}, {"year", "2014"}};

    SUBCASE("the first page links to the next only") {
        const auto html = render_search_page(result_json(12, 5), request);
        CHECK(contains(html, "<nav"));
        CHECK(contains(html,
                       "rel=\"next\" href=\"/search?q=interest%20rates&amp;page=2&amp;size=5&amp;"
                       "sort=-date&amp;op=or&amp;from=2014-01-01&amp;to=2014-12-31&amp;tag=R%26D&amp;"
                       "year=2014\""));
        CHECK_FALSE(contains(html, "rel=\"prev\""));
    }
    SUBCASE("a middle page links both ways") {
        request.page = 2;
        const auto html = render_search_page(result_json(12, 5, 6), request);
        CHECK(contains(html, "<ol class=\"hits\" start=\"6\">"));
        CHECK(contains(html, "rel=\"prev\" href=\"/search?q=interest%20rates&amp;size=5&amp;"));
        CHECK(contains(html, "rel=\"next\" href=\"/search?q=interest%20rates&amp;page=3&amp;"));
        CHECK(count(html,
                    "rel=\"prev\" href=\"/search?q=interest%20rates&amp;size=5&amp;sort=-date&amp;op=or&amp;"
                    "from=2014-01-01&amp;to=2014-12-31&amp;tag=R%26D&amp;year=2014\"") == 1);
    }
    SUBCASE("the last page links back only") {
        request.page = 3;
        const auto html = render_search_page(result_json(12, 2, 11), request);
        CHECK(contains(html, "rel=\"prev\" href=\"/search?q=interest%20rates&amp;page=2&amp;"));
        CHECK_FALSE(contains(html, "rel=\"next\""));
    }
}

TEST_CASE("no pagination when every hit fits on one page") {
    CHECK_FALSE(contains(render_search_page(result_json(10, 10), request_for("a")), "aria-label=\"Pages\""));
    CHECK_FALSE(contains(render_search_page(result_json(3, 3), request_for("a")), "rel=\"next\""));
    CHECK(contains(render_search_page(result_json(11, 10), request_for("a")), "rel=\"next\""));
}

TEST_CASE("a spelling suggestion is offered as Did you mean") {
    auto result = result_json(0, 0);
    CHECK_FALSE(contains(render_search_page(result, request_for("intrest")), "Did you mean"));
    result.suggestion = "interest <rates>";
    const auto html = render_search_page(result, request_for("intrest"));
    CHECK(contains(html, "Did you mean"));
    CHECK(contains(html, "href=\"/search?q=interest%20%3Crates%3E\""));
    CHECK(contains(html, ">interest &lt;rates&gt;</a>"));
    CHECK_FALSE(contains(html, "<rates>"));
}

TEST_CASE("an empty result says nothing matched and offers any-word matching") {
    const auto html = render_search_page(result_json(0, 0), request_for("zebra <crossing>"));
    CHECK(contains(html, "No articles match <strong>zebra &lt;crossing&gt;</strong>"));
    CHECK(contains(html, "href=\"/search?op=or&amp;q=zebra%20%3Ccrossing%3E\""));
    CHECK(contains(html, "0 results"));
    CHECK_FALSE(contains(html, "<ol"));
    CHECK_FALSE(contains(html, "<crossing>"));
}

TEST_CASE("the error page escapes its message and the query") {
    const auto html = render_error_page("\"<script>", 400, "bad <thing> & 'quotes' \"here\"");
    CHECK(count(html, "<script") == 1);  // only the page's own
    CHECK_FALSE(contains(html, "\"<script>"));
    CHECK_FALSE(contains(html, "<thing>"));
    CHECK(contains(html, "bad &lt;thing&gt; &amp; &#39;quotes&#39; &quot;here&quot;"));
    CHECK(contains(html, "value=\"&quot;&lt;script&gt;\""));
    CHECK(contains(html, "role=\"alert\""));
    CHECK(contains(html, "could not be run"));
    CHECK(contains(render_error_page("a", 503, "index unavailable"), "not available right now"));
}

TEST_CASE("the home page is an empty search box") {
    const auto html = render_home_page(Overview{});
    CHECK(html.starts_with("<!doctype html>"));
    CHECK(contains(html, "<form action=\"/search\""));
    CHECK(contains(html, "name=\"q\" list=\"suggestions\" autocomplete=\"off\" value=\"\""));
    CHECK(contains(html, "<datalist id=\"suggestions\">"));
    CHECK(contains(html, "fetch('/suggest?size=8&q='"));
}

TEST_CASE("the home page lists topics and years to browse, each a link to its filter") {
    const auto overview = overview_of(
        {{"tag", false, {{"de <Gaulle>", 3, "tag:\"de <Gaulle>\""}}}, {"year", true, {{"1962", 2, "date:1962"}}}});
    const auto html = render_home_page(overview);
    CHECK(contains(html, "Search 42 articles"));
    CHECK(contains(html, "<h2 id=\"browse-tag\">Browse by topic</h2>"));
    CHECK(contains(html,
                   "<a href=\"/search?q=tag%3A%22de%20%3CGaulle%3E%22&amp;sort=-date\">de &lt;Gaulle&gt;</a> "
                   "<span class=\"count\">3</span>"));
    CHECK(contains(html, "<a href=\"/search?q=date%3A1962&amp;sort=-date\">1962</a>"));
    CHECK(count(html, "<h1") == 1);
    CHECK_FALSE(contains(html, "<details"));  // a year or two need no grouping
    CHECK_FALSE(contains(render_home_page(Overview{}), "Browse by"));
}

TEST_CASE("every page has exactly one h1") {
    CHECK(count(render_home_page(Overview{}), "<h1") == 1);
    CHECK(count(render_error_page("a", 400, "bad"), "<h1") == 1);
    const auto results = render_search_page(result_json(3, 3), request_for("rates <b>"));
    CHECK(count(results, "<h1") == 1);
    CHECK(contains(results, "<h1 class=\"visually-hidden\">Results for rates &lt;b&gt;</h1>"));
}

TEST_CASE("the facet sidebar links add and remove filters and sort links keep them") {
    auto request = request_for("rates");
    request.filters = {{"tag", "economy"}};
    auto result = result_json(12, 5);
    result.facets = {{"tag", false, {{"economy", 12, {}}, {"R&D <lab>", 4, {}}}}, {"year", true, {{"2014", 9, {}}}}};
    const auto html = render_search_page(result, request);
    CHECK(contains(html, "aria-label=\"Refine results\""));
    // The active filter is offered for removal, the others for adding.
    CHECK(contains(html, "<a class=\"active\" href=\"/search?q=rates\" aria-label=\"Remove filter economy\">"));
    CHECK(contains(html,
                   "href=\"/search?q=rates&amp;tag=economy&amp;tag=R%26D%20%3Clab%3E\">R&amp;D &lt;lab&gt;</a> <span "
                   "class=\"count\">4</span>"));
    CHECK(contains(html, "href=\"/search?q=rates&amp;tag=economy&amp;year=2014\">2014</a>"));
    CHECK_FALSE(contains(html, "<lab>"));
    CHECK(contains(html, "<strong aria-current=\"true\">Relevance</strong>"));
    CHECK(contains(html, "href=\"/search?q=rates&amp;sort=-date&amp;tag=economy\">Newest</a>"));
    CHECK(contains(html, "<strong aria-current=\"page\">1</strong>"));
    CHECK(contains(html, ">2</a>"));
}

TEST_CASE("the article page shows the highlighted article, its tags as filters and related articles") {
    ArticleView view;
    view.id = "a1";
    view.shown = {"T <i>", "Sub & co", "2014-01-02", "javascript:alert(1)", {"R&D"}};
    view.title_html = "<mark>T</mark> &lt;i&gt;";
    view.body_html = "one <mark>para</mark>\ntwo";
    view.topic_filter = "tag";
    Hit related;
    related.id = "b 2";
    related.shown.title = "Other <story>";
    related.shown.date = "2015";
    view.related.push_back(related);
    const auto html = render_article_page(view, "para");
    CHECK(contains(html, "<h1><mark>T</mark> &lt;i&gt;</h1>"));
    CHECK(contains(html, "<p>one <mark>para</mark></p><p>two</p>"));
    CHECK(contains(html, "Sub &amp; co"));
    CHECK(contains(html, "href=\"/search?q=R%26D&amp;tag=R%26D\">R&amp;D</a>"));
    CHECK_FALSE(contains(html, "javascript:"));  // only http(s) sources become links
    CHECK(contains(html, "Related articles"));
    CHECK(contains(html, "<a href=\"/articles/b%202\">Other &lt;story&gt;</a>"));
    CHECK(contains(html, "value=\"para\""));
}

TEST_CASE("the article page links a web source and leaves out parts the schema gives no role") {
    ArticleView view;
    view.id = "a1";
    view.title_html = "Plain";
    view.shown.link = "https://example.com/a?b=1&c=\"2\"";
    auto html = render_article_page(view, "");
    CHECK(contains(html,
                   "<a href=\"https://example.com/a?b=1&amp;c=&quot;2&quot;\" rel=\"noopener nofollow\">source</a>"));
    CHECK_FALSE(contains(html, "class=\"standfirst\""));
    CHECK_FALSE(contains(html, "<time>"));
    CHECK_FALSE(contains(html, "class=\"tag\""));
    view.shown.link.clear();
    CHECK_FALSE(contains(render_article_page(view, ""), "class=\"meta\""));
}

TEST_CASE("the home page groups many years by decade, each with a link to its date range") {
    std::vector<FacetValue> years;
    for (int year = 1999; year >= 1975; --year)
        years.push_back({std::to_string(year), 2, "date:" + std::to_string(year)});
    const auto html = render_home_page(overview_of({{"year", true, years}}));
    CHECK(count(html, "<details>") == 3);  // 1990s, 1980s, 1970s
    CHECK(contains(html, "<summary>1990s <span class=\"count\">20</span></summary>"));
    CHECK(contains(html, "<summary>1970s <span class=\"count\">10</span></summary>"));
    CHECK(contains(html, "<a href=\"/search?q=date%3A1980..1989&amp;sort=-date\">All of the 1980s</a>"));
    CHECK(contains(html, "<a href=\"/search?q=date%3A1987&amp;sort=-date\">1987</a>"));
    CHECK(html.find(">1990s ") < html.find(">1980s "));  // newest first, as the years are
}

TEST_CASE("the site name heads every page and ends its title") {
    const Site site{"The <Daily> Archive"};
    for (const auto& html : {render_home_page(Overview{}, site), render_error_page("a", 400, "bad", site),
                             render_search_page(result_json(1, 1), request_for("rates"), site)}) {
        CHECK(contains(html, "<a class=\"site\" href=\"/search\">The &lt;Daily&gt; Archive</a>"));
        CHECK(contains(html, "The &lt;Daily&gt; Archive</title>"));
        CHECK_FALSE(contains(html, "<Daily>"));
    }
}

TEST_CASE("the sidebar groups many years by decade and each year stays a filter") {
    auto request = request_for("budget");
    request.filters = {{"year", "1987"}};
    auto result = result_json(3, 3);
    std::vector<FacetValue> years;
    for (int year = 1999; year >= 1970; --year) years.push_back({std::to_string(year), 1, {}});
    result.facets = {{"year", true, years}};
    const auto html = render_search_page(result, request);
    CHECK(count(html, "<details>") == 3);
    CHECK(contains(html, "<summary>1980s <span class=\"count\">9</span></summary>"));  // 1987 is in force
    CHECK(contains(html, "<a class=\"active\" href=\"/search?q=budget\" aria-label=\"Remove filter 1987\">"));
    CHECK(contains(html, "href=\"/search?q=budget&amp;year=1987&amp;year=1962\"") == false);
    CHECK(contains(html, "href=\"/search?q=budget&amp;year=1987&amp;year=1975\">1975</a>"));
}
