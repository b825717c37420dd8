#include "broadsheet/server/html.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>
#include <utility>

namespace broadsheet::server {

using nlohmann::json;

namespace {

// Result links stop where the server's result window does (page * size).
constexpr unsigned long long max_linked_results = 10000;

constexpr const char* page_style = R"css(
body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:46rem;padding:1rem;color:#222}
header form{display:flex;gap:.5rem}header input[type=search]{flex:1;font-size:1.1rem;padding:.4rem}
button{font-size:1rem;padding:.4rem .8rem}.meta{color:#555;font-size:.9rem}
ol.hits{list-style:none;padding:0}ol.hits li{margin:1.2rem 0}ol.hits h2{font-size:1.15rem;margin:0}
mark{background:#ffe58a;padding:0 .1em}.error{color:#a00;border:1px solid #a00;padding:.6rem}
nav.pages a,nav.pages strong,nav.pages span{margin-right:.8rem}nav.sort{font-size:.9rem;margin:.4rem 0}
main.with-facets{display:flex;gap:2rem;flex-wrap:wrap}main.with-facets .results{flex:1 1 28rem;min-width:0}
aside.facets{flex:0 0 11rem;font-size:.9rem}aside.facets h2{font-size:1rem;margin:.6rem 0 .2rem}
aside.facets ul,section.browse ul{list-style:none;padding:0;margin:0}
section.browse ul{display:flex;flex-wrap:wrap;gap:.3rem 1rem}section.browse h2{font-size:1.1rem;margin:1.2rem 0 .4rem}
.facet-year ul{display:flex;flex-wrap:wrap;gap:0 .8rem}.count{color:#777}a.active{font-weight:bold}
.visually-hidden{position:absolute;left:-9999px}article.full p{margin:.8rem 0}
a:focus,input:focus,button:focus{outline:3px solid #1a73e8;outline-offset:2px}
.notice{background:#fff6d6;border-left:4px solid #e0b000;padding:.4rem .6rem}
@media (pointer:coarse),(max-width:40rem){aside.facets li{padding:.3rem 0}nav.pages a,nav.pages strong{display:inline-block;padding:.4rem .5rem;margin-right:.2rem}}
)css";

// Autocomplete, as an enhancement: without JavaScript the form works as is.
constexpr const char* autocomplete_script = R"js(<script>
(function () {
  var box = document.getElementById('q'), list = document.getElementById('suggestions'), timer;
  if (!box || !list || !window.fetch) return;
  box.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!box.value.trim()) return;
      fetch('/suggest?size=8&q=' + encodeURIComponent(box.value)).then(function (r) { return r.json(); })
        .then(function (data) {
          list.textContent = '';
          (data.suggestions || []).forEach(function (s) {
            var option = document.createElement('option');
            option.value = s.text;
            list.appendChild(option);
          });
        }).catch(function () {});
    }, 120);
  });
})();
</script>)js";

auto page_head(std::string_view title) -> std::string {
    std::string html = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                       "<title>";
    html += html_escape(title);
    html += "</title><style>";
    html += page_style;
    html += "</style></head><body>";
    return html;
}

auto page_end() -> std::string {
    return std::string(autocomplete_script) + "</body></html>\n";
}

auto search_form(std::string_view query) -> std::string {
    std::string html = "<header role=\"banner\"><form action=\"/search\" method=\"get\" role=\"search\">"
                       "<label for=\"q\" class=\"visually-hidden\">Search articles</label>"
                       "<input type=\"search\" id=\"q\" name=\"q\" list=\"suggestions\" autocomplete=\"off\" value=\"";
    html += html_escape(query);
    html += "\"><datalist id=\"suggestions\"></datalist><button type=\"submit\">Search</button></form></header>";
    return html;
}

auto text_of(const json& value) -> std::string {
    if (value.is_string()) return value.get<std::string>();
    return {};
}

// The URL of a search: every setting of the request, so links built from a
// modified copy (another page, sort or filter) keep the rest.
auto search_link(const SearchRequest& request) -> std::string {
    std::string url = "/search?q=" + url_encode(request.query);
    if (request.page > 1) url += "&page=" + std::to_string(request.page);
    if (request.size != 10) url += "&size=" + std::to_string(request.size);
    if (request.sort == SortOrder::date_ascending) url += "&sort=date";
    if (request.sort == SortOrder::date_descending) url += "&sort=-date";
    if (request.op == DefaultOperator::or_) url += "&op=or";
    if (request.from) url += "&from=" + request.from->iso();
    if (request.to) url += "&to=" + request.to->iso();
    for (const auto& [name, value] : request.filters) url += "&" + url_encode(name) + "=" + url_encode(value);
    return url;
}

auto page_link(const SearchRequest& request, int page) -> std::string {
    auto other = request;
    other.page = page;
    return search_link(other);
}

// The facet's filter name: the date facet filters by year, keyword facets by their query name.
auto has_filter(const SearchRequest& request, const std::string& name, const std::string& value) -> bool {
    return std::find(request.filters.begin(), request.filters.end(), std::pair{name, value}) != request.filters.end();
}

auto toggle_filter_link(const SearchRequest& request, const std::string& name, const std::string& value) -> std::string {
    auto other = request;
    other.page = 1;
    auto it = std::find(other.filters.begin(), other.filters.end(), std::pair{name, value});
    if (it != other.filters.end()) {
        other.filters.erase(it);
    } else {
        other.filters.emplace_back(name, value);
    }
    return search_link(other);
}

auto sort_links(const SearchRequest& request) -> std::string {
    static const std::pair<SortOrder, const char*> orders[] = {
        {SortOrder::relevance, "Relevance"}, {SortOrder::date_descending, "Newest"}, {SortOrder::date_ascending, "Oldest"}};
    std::string html = "<nav class=\"sort\" aria-label=\"Sort\">Sort: ";
    for (const auto& [order, label] : orders) {
        auto other = request;
        other.sort = order;
        other.page = 1;
        if (order == request.sort) {
            html += std::string("<strong aria-current=\"true\">") + label + "</strong> ";
        } else {
            html += "<a href=\"" + html_escape(search_link(other)) + "\">" + label + "</a> ";
        }
    }
    return html + "</nav>";
}

// What a facet is called on the pages: "tag" is a topic, "year" a year.
auto facet_noun(const std::string& name) -> std::string {
    return name == "tag" ? "topic" : name;
}

auto facet_sidebar(const json& facets, const SearchRequest& request) -> std::string {
    if (!facets.is_object() || facets.empty()) return {};
    std::string html = "<aside class=\"facets\" aria-label=\"Refine results\">";
    for (const auto& [name, values] : facets.items()) {
        auto heading = facet_noun(name) + "s";
        heading[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(heading[0])));
        html += "<section class=\"facet-" + html_escape(name) + "\"><h2>" + html_escape(heading) + "</h2><ul>";
        // Filters in force stay listed (to remove them) even when the page's counts omit them.
        for (const auto& [filter, value] : request.filters) {
            if (filter != name) continue;
            html += "<li><a class=\"active\" href=\"" + html_escape(toggle_filter_link(request, name, value)) +
                    "\" aria-label=\"Remove filter " + html_escape(value) + "\">✕ " + html_escape(value) + "</a></li>";
        }
        for (const auto& entry : values) {
            auto value = entry.value("value", std::string());
            if (has_filter(request, name, value)) continue;
            html += "<li><a href=\"" + html_escape(toggle_filter_link(request, name, value)) + "\">" +
                    html_escape(value) + "</a> <span class=\"count\">" +
                    std::to_string(entry.value("count", 0)) + "</span></li>";
        }
        html += "</ul></section>";
    }
    return html + "</aside>";
}

auto page_numbers(const SearchRequest& request, unsigned long long pages) -> std::string {
    if (pages <= 1) return {};
    std::string html = "<nav class=\"pages\" aria-label=\"Pages\">";
    auto current = static_cast<unsigned long long>(request.page);
    if (current > 1)
        html += "<a rel=\"prev\" href=\"" + html_escape(page_link(request, request.page - 1)) + "\">← Previous</a>";
    auto first = current > 3 ? current - 3 : 1;
    auto last = std::min(pages, current + 3);
    if (first > 1) html += "<a href=\"" + html_escape(page_link(request, 1)) + "\">1</a>" + (first > 2 ? "<span>…</span>" : "");
    for (auto page = first; page <= last; ++page) {
        if (page == current) {
            html += "<strong aria-current=\"page\">" + std::to_string(page) + "</strong>";
        } else {
            html += "<a href=\"" + html_escape(page_link(request, static_cast<int>(page))) + "\">" + std::to_string(page) + "</a>";
        }
    }
    if (current < pages)
        html += "<a rel=\"next\" href=\"" + html_escape(page_link(request, request.page + 1)) + "\">Next →</a>";
    return html + "</nav>";
}

}  // namespace

void append_html_escaped(std::string& out, std::string_view text) {
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
}

auto html_escape(std::string_view text) -> std::string {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    append_html_escaped(out, text);
    return out;
}

auto url_encode(std::string_view text) -> std::string {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

auto render_search_page(const json& result, const SearchRequest& request) -> std::string {
    std::string html = page_head(request.query + " – Broadsheet search");
    html += search_form(request.query);
    html += "<main role=\"main\" class=\"with-facets\"><div class=\"results\">";
    // Every page has one h1, for navigating by headings; the search box already shows the query.
    html += "<h1 class=\"visually-hidden\">Results for " + html_escape(request.query) + "</h1>";
    auto total = result.value("total", 0ULL);
    char took[64];
    std::snprintf(took, sizeof took, "%.2f", result.value("took_ms", 0.0));
    html += "<p class=\"meta\" role=\"status\">" + std::string(result.value("total_exact", true) ? "" : "about ") +
            std::to_string(total) + (total == 1 ? " result" : " results") + " (" + took + " ms)</p>";
    html += sort_links(request);
    if (const auto& notice = result.value("notice", json()); notice.is_object()) {
        html += "<p class=\"notice\" role=\"note\">Your query could not be read as written (" +
                html_escape(text_of(notice["reason"])) + "). Showing articles with the words <strong>" +
                html_escape(text_of(notice["words"])) + "</strong>.</p>";
    }
    if (!result["suggestion"].is_null()) {
        auto suggestion = text_of(result["suggestion"]);
        html += "<p>Did you mean <a href=\"/search?q=" + html_escape(url_encode(suggestion)) + "\">" +
                html_escape(suggestion) + "</a>?</p>";
    }
    if (result["hits"].empty()) {
        html += "<p>No articles match <strong>" + html_escape(request.query) +
                "</strong>. Try fewer or different words, or <a href=\"" +
                html_escape("/search?op=or&q=" + url_encode(request.query)) + "\">match any word</a>.</p>";
    } else {
        html += "<ol class=\"hits\" start=\"" + std::to_string(result["hits"][0].value("rank", 1)) + "\">";
        for (const auto& hit : result["hits"]) {
            auto id = text_of(hit["id"]);
            auto title_html = text_of(hit.value("title_html", json()));
            if (title_html.empty()) title_html = html_escape(id);
            html += "<li><article><h2><a href=\"/articles/" + html_escape(url_encode(id)) + "?q=" +
                    html_escape(url_encode(request.query)) + "\">" + title_html + "</a></h2>";
            std::string meta;
            if (hit.contains("date") && hit["date"].is_string()) meta += "<time>" + html_escape(text_of(hit["date"])) + "</time>";
            if (hit.contains("tags") && hit["tags"].is_array()) {
                for (const auto& tag : hit["tags"]) {
                    auto value = text_of(tag);
                    meta += " · <a class=\"tag\" href=\"" + html_escape(toggle_filter_link(request, "tag", value)) + "\">" +
                            html_escape(value) + "</a>";
                }
            }
            if (!meta.empty()) html += "<p class=\"meta\">" + meta + "</p>";
            html += "<p>" + text_of(hit.value("snippet_html", json())) + "</p></article></li>";
        }
        html += "</ol>";
    }
    // Pages beyond the result window cannot be asked for, so none are offered.
    auto reachable = std::min<unsigned long long>(total, max_linked_results);
    html += page_numbers(request, (reachable + static_cast<unsigned long long>(request.size) - 1) /
                                      static_cast<unsigned long long>(request.size));
    html += "</div>";
    html += facet_sidebar(result.value("facets", json::object()), request);
    html += "</main>" + page_end();
    return html;
}

auto render_article_page(const json& view, std::string_view query) -> std::string {
    auto title_html = view.value("title_html", std::string());
    auto title = view.contains("title") && view["title"].is_string() ? view["title"].get<std::string>() : "Article";
    std::string html = page_head(title + " – Broadsheet");
    html += search_form(query);
    html += "<main role=\"main\"><article class=\"full\"><h1>" + title_html + "</h1>";
    if (view.contains("subtitle") && view["subtitle"].is_string())
        html += "<p class=\"standfirst\"><strong>" + html_escape(view["subtitle"].get<std::string>()) + "</strong></p>";
    std::string meta;
    if (view.contains("date") && view["date"].is_string()) meta += "<time>" + html_escape(view["date"].get<std::string>()) + "</time>";
    if (view.contains("tags") && view["tags"].is_array()) {
        for (const auto& tag : view["tags"]) {
            auto value = text_of(tag);
            meta += " · <a class=\"tag\" href=\"" + html_escape("/search?q=" + url_encode(value) + "&tag=" + url_encode(value)) +
                    "\">" + html_escape(value) + "</a>";
        }
    }
    if (view.contains("url") && view["url"].is_string()) {
        auto url = view["url"].get<std::string>();
        // Only web links become links; anything else stays text.
        if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0)
            meta += " · <a href=\"" + html_escape(url) + "\" rel=\"noopener nofollow\">source</a>";
    }
    if (!meta.empty()) html += "<p class=\"meta\">" + meta + "</p>";
    // body_html is escaped text with <mark>; paragraphs are separated by newlines.
    auto body = view.value("body_html", std::string());
    std::size_t start = 0;
    while (start < body.size()) {
        auto end = body.find('\n', start);
        if (end == std::string::npos) end = body.size();
        if (end > start) html += "<p>" + body.substr(start, end - start) + "</p>";
        start = end + 1;
    }
    html += "</article>";
    if (view.contains("related") && view["related"].is_array() && !view["related"].empty()) {
        html += "<section aria-labelledby=\"related\"><h2 id=\"related\">Related articles</h2><ul class=\"related\">";
        for (const auto& hit : view["related"]) {
            auto id = text_of(hit["id"]);
            auto hit_title = hit.contains("title") && hit["title"].is_string() ? hit["title"].get<std::string>() : id;
            html += "<li><a href=\"/articles/" + html_escape(url_encode(id)) + "\">" + html_escape(hit_title) + "</a>";
            if (hit.contains("date") && hit["date"].is_string())
                html += " <span class=\"meta\">" + html_escape(hit["date"].get<std::string>()) + "</span>";
            html += "</li>";
        }
        html += "</ul></section>";
    }
    html += "</main>" + page_end();
    return html;
}

auto render_error_page(std::string_view query, int status, std::string_view message) -> std::string {
    std::string html = page_head("Search error – Broadsheet");
    html += search_form(query);
    html += "<main role=\"main\"><h1 class=\"visually-hidden\">Search error</h1><p class=\"error\" role=\"alert\">";
    html += status >= 500 ? "The search is not available right now: " : "That search could not be run: ";
    html += html_escape(message);
    html += "</p></main>" + page_end();
    return html;
}

auto render_home_page(const json& overview) -> std::string {
    std::string html = page_head("Broadsheet search") + search_form("") +
                       "<main role=\"main\"><h1 class=\"visually-hidden\">Broadsheet search</h1><p class=\"meta\">Search " +
                       std::to_string(overview.value("documents", 0ULL)) +
                       " articles: words, \"exact phrases\", AND / OR / NOT, title:word, tag:name, date:2014, prefix*.</p>";
    // Browsing needs no query: each value links to the filter that finds it.
    const auto facets = overview.value("facets", json::object());
    for (const auto& [name, values] : facets.items()) {
        if (values.empty()) continue;
        auto heading = "Browse by " + facet_noun(name);
        html += "<section class=\"browse facet-" + html_escape(name) + "\" aria-labelledby=\"browse-" + html_escape(name) +
                "\"><h2 id=\"browse-" + html_escape(name) + "\">" + html_escape(heading) + "</h2><ul>";
        for (const auto& entry : values) {
            html += "<li><a href=\"" + html_escape("/search?q=" + url_encode(text_of(entry["query"])) + "&sort=-date") + "\">" +
                    html_escape(text_of(entry["value"])) + "</a> <span class=\"count\">" +
                    std::to_string(entry.value("count", 0)) + "</span></li>";
        }
        html += "</ul></section>";
    }
    return html + "</main>" + page_end();
}

auto prefers_html(std::string_view accept) -> bool {
    // Weigh text/html against application/json by their q-values; browsers
    // send text/html first, curl sends */*.
    double html_q = -1, json_q = -1, any_q = -1;
    std::size_t start = 0;
    while (start <= accept.size()) {
        auto end = accept.find(',', start);
        auto part = accept.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        auto semicolon = part.find(';');
        auto type = part.substr(0, semicolon);
        while (!type.empty() && type.front() == ' ') type.remove_prefix(1);
        while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
        double q = 1.0;
        if (semicolon != std::string_view::npos) {
            auto qpos = part.find("q=", semicolon);
            if (qpos != std::string_view::npos) q = std::atof(std::string(part.substr(qpos + 2)).c_str());
        }
        if (type == "text/html" || type == "application/xhtml+xml") html_q = std::max(html_q, q);
        else if (type == "application/json") json_q = std::max(json_q, q);
        else if (type == "*/*") any_q = std::max(any_q, q);
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    if (html_q <= 0) return false;
    return html_q > std::max(json_q, 0.0) || (json_q < 0 && html_q >= any_q);
}

}  // namespace broadsheet::server
