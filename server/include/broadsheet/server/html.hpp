#pragma once
// The server-rendered pages. All text is escaped here; only fields whose
// name ends in _html (already escaped, with <mark>) are inserted as is.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "broadsheet/server/query_builder.hpp"

namespace broadsheet::server {

/// Escapes &, <, >, " and ' for HTML text and attribute values.
[[nodiscard]] auto html_escape(std::string_view text) -> std::string;
/// html_escape, appended to `out`.
void append_html_escaped(std::string& out, std::string_view text);

/// Percent-encodes a URL query component.
[[nodiscard]] auto url_encode(std::string_view text) -> std::string;

/// The /search page for a result (the JSON the API returns).
[[nodiscard]] auto render_search_page(const nlohmann::json& result, const SearchRequest& request)
    -> std::string;

/// The page of one article (from SearchService::article_view): highlighted
/// title and body, date, tags linking to filtered searches, related articles.
[[nodiscard]] auto render_article_page(const nlohmann::json& view, std::string_view query) -> std::string;

/// The /search page for a request that failed: the form, and the message as text.
[[nodiscard]] auto render_error_page(std::string_view query, int status, std::string_view message)
    -> std::string;

/// /search opened in a browser without a query: the search box, and each
/// facet's values (from SearchService::overview) as links to browse by.
[[nodiscard]] auto render_home_page(const nlohmann::json& overview) -> std::string;

/// True when a request's Accept header prefers HTML over JSON (a browser).
[[nodiscard]] auto prefers_html(std::string_view accept) -> bool;

}  // namespace broadsheet::server
