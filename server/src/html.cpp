#include "broadsheet/server/html.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace broadsheet::server {

using nlohmann::json;

namespace {

constexpr const char* page_style = R"css(
body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:46rem;padding:1rem;color:#222}
header form{display:flex;gap:.5rem}header input[type=search]{flex:1;font-size:1.1rem;padding:.4rem}
button{font-size:1rem;padding:.4rem .8rem}.meta{color:#555;font-size:.9rem}
ol.hits{list-style:none;padding:0}ol.hits li{margin:1.2rem 0}ol.hits h2{font-size:1.15rem;margin:0}
mark{background:#ffe58a;padding:0 .1em}.error{color:#a00;border:1px solid #a00;padding:.6rem}
nav.pages a{margin-right:1rem}
)css";

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

auto search_form(std::string_view query) -> std::string {
    std::string html = "<header role=\"banner\"><form action=\"/search\" method=\"get\" role=\"search\">"
                       "<label for=\"q\" class=\"visually-hidden\">Search articles</label>"
                       "<input type=\"search\" id=\"q\" name=\"q\" value=\"";
    html += html_escape(query);
    html += "\" autofocus><button type=\"submit\">Search</button></form></header>";
    return html;
}

auto text_of(const json& value) -> std::string {
    if (value.is_string()) return value.get<std::string>();
    return {};
}

// A link to the same search with another page number.
auto page_link(const SearchRequest& request, int page) -> std::string {
    std::string url = "/search?q=" + url_encode(request.query);
    if (page > 1) url += "&page=" + std::to_string(page);
    if (request.size != 10) url += "&size=" + std::to_string(request.size);
    if (request.sort == SortOrder::date_ascending) url += "&sort=date";
    if (request.sort == SortOrder::date_descending) url += "&sort=-date";
    if (request.op == DefaultOperator::or_) url += "&op=or";
    if (request.from) url += "&from=" + request.from->iso();
    if (request.to) url += "&to=" + request.to->iso();
    for (const auto& [name, value] : request.filters) url += "&" + url_encode(name) + "=" + url_encode(value);
    return url;
}

}  // namespace

auto html_escape(std::string_view text) -> std::string {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
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
    html += "<main role=\"main\">";
    auto total = result.value("total", 0ULL);
    char took[64];
    std::snprintf(took, sizeof took, "%.2f", result.value("took_ms", 0.0));
    html += "<p class=\"meta\" role=\"status\">" + std::string(result.value("total_exact", true) ? "" : "about ") +
            std::to_string(total) + (total == 1 ? " result" : " results") + " (" + took + " ms)</p>";
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
                for (const auto& tag : hit["tags"]) meta += " · " + html_escape(text_of(tag));
            }
            if (!meta.empty()) html += "<p class=\"meta\">" + meta + "</p>";
            html += "<p>" + text_of(hit.value("snippet_html", json())) + "</p></article></li>";
        }
        html += "</ol>";
    }
    auto pages = (total + static_cast<unsigned long long>(request.size) - 1) / static_cast<unsigned long long>(request.size);
    if (pages > 1) {
        html += "<nav class=\"pages\" aria-label=\"Pages\">";
        if (request.page > 1)
            html += "<a rel=\"prev\" href=\"" + html_escape(page_link(request, request.page - 1)) + "\">← Previous</a>";
        if (static_cast<unsigned long long>(request.page) < pages)
            html += "<a rel=\"next\" href=\"" + html_escape(page_link(request, request.page + 1)) + "\">Next →</a>";
        html += "</nav>";
    }
    html += "</main></body></html>\n";
    return html;
}

auto render_error_page(std::string_view query, int status, std::string_view message) -> std::string {
    std::string html = page_head("Search error – Broadsheet");
    html += search_form(query);
    html += "<main role=\"main\"><p class=\"error\" role=\"alert\">";
    html += status >= 500 ? "The search is not available right now: " : "That search could not be run: ";
    html += html_escape(message);
    html += "</p></main></body></html>\n";
    return html;
}

auto render_home_page() -> std::string {
    return page_head("Broadsheet search") + search_form("") +
           "<main role=\"main\"><p class=\"meta\">Search the news: words, \"exact phrases\", "
           "AND / OR / NOT, title:word, tag:name, prefix*.</p></main></body></html>\n";
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
