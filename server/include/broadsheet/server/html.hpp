#pragma once
// The server-rendered pages, from the templates in server/templates. The
// templates escape every value for where it stands; only values whose name
// ends in _HTML (already escaped, with <mark>) are inserted as they are.

#include <string>
#include <string_view>

#include "broadsheet/server/query_builder.hpp"
#include "broadsheet/server/results.hpp"

namespace broadsheet::server {

/// Escapes &, <, >, " and ' for HTML text and attribute values.
[[nodiscard]] auto html_escape(std::string_view text) -> std::string;
/// html_escape, appended to `out`.
void append_html_escaped(std::string& out, std::string_view text);

/// Percent-encodes a URL query component.
[[nodiscard]] auto url_encode(std::string_view text) -> std::string;

/// What every page shows: the name of the collection, in the masthead and titles.
struct Site {
    std::string name = "Broadsheet";
};

/// The /search page for a result.
[[nodiscard]] auto render_search_page(const SearchResult& result, const SearchRequest& request, const Site& site = {})
    -> std::string;

/// The page of one article: highlighted title and body, standfirst, date,
/// topics linking to filtered searches, source link, related articles.
[[nodiscard]] auto render_article_page(const ArticleView& view, std::string_view query, const Site& site = {})
    -> std::string;

/// The /search page for a request that failed: the form, and the message as text.
[[nodiscard]] auto render_error_page(std::string_view query, int status, std::string_view message,
                                     const Site& site = {}) -> std::string;

/// /search opened in a browser without a query: the search box, and each
/// facet's values as links to browse by; many years are grouped by decade.
[[nodiscard]] auto render_home_page(const Overview& overview, const Site& site = {}) -> std::string;

/// True when a request's Accept header prefers HTML over JSON (a browser).
[[nodiscard]] auto prefers_html(std::string_view accept) -> bool;

}  // namespace broadsheet::server
