#pragma once
// What the search service answers, as types: the routes serialise them to
// the API's JSON (to_json, one per type) and the pages are rendered from
// the same values, so a misspelt field is a compile error, not an empty page.
// The hit-carrying types are taken by value: moved in, their stored text
// moves into the JSON instead of being copied.

#include <optional>
#include <string>
#include <vector>

#include <xapian.h>
#include <nlohmann/json.hpp>

namespace broadsheet::server {

/// The parts of an article a page shows, read through the schema's roles
/// (empty when the schema gives no field that role or the article lacks it).
struct Shown {
    std::string title;
    std::string standfirst;
    std::string date;
    std::string link;
    std::vector<std::string> topics;
};

/// One ranked article.
struct Hit {
    std::string id;
    Xapian::doccount rank = 0;
    double score = 0;
    nlohmann::json fields = nlohmann::json::object();  ///< stored fields but the id, as the schema names them
    std::optional<std::string> title_html;             ///< the title, escaped, query words in <mark>
    std::optional<std::string> snippet_html;           ///< a passage of the body, escaped, with <mark>
    Shown shown;
};

/// {"id", "rank", "score", stored fields..., "<title>_html", "snippet_html"}.
/// `title_html_key` names the title's marked copy (title_html for a field "title").
[[nodiscard]] auto to_json(Hit hit, const std::string& title_html_key) -> nlohmann::json;

/// One value of a facet and how many articles have it.
struct FacetValue {
    std::string value;
    Xapian::doccount count = 0;
    std::string query;  ///< the query that finds its articles (tag:"de Gaulle"); overview only
};

struct Facet {
    std::string name;      ///< the facet's name, also its URL filter (?tag=, ?year=)
    bool by_year = false;  ///< the date facet: values are years, newest first
    std::vector<FacetValue> values;
};

/// {"name": [{"value", "count"[, "query"]}...], ...}.
[[nodiscard]] auto to_json(const std::vector<Facet>& facets) -> nlohmann::json;

/// Why a query was searched as plain words.
struct Notice {
    std::string code;
    std::string reason;
    std::string message;
    std::string words;
};

/// The answer to /search.
struct SearchResult {
    std::string query;
    Xapian::doccount total = 0;
    bool total_exact = true;
    int page = 1;
    int size = 10;
    double took_ms = 0;
    bool timed_out = false;
    std::string generation;
    std::vector<std::string> missing_shards;  ///< cluster mode: shards left out of this answer (partial)
    std::vector<Hit> hits;
    std::vector<Facet> facets;
    std::optional<std::string> suggestion;
    std::optional<Notice> notice;
    std::string title_html_key = "title_html";
    std::string topic_filter;  ///< the URL filter of the topics role's facet ("tag"), empty if none
};

[[nodiscard]] auto to_json(SearchResult result) -> nlohmann::json;

/// An article for its page.
struct ArticleView {
    std::string id;
    nlohmann::json fields = nlohmann::json::object();  ///< every stored field, the body included
    std::string title_html;
    std::string body_html;  ///< escaped; paragraphs separated by newlines
    Shown shown;
    std::string topic_filter;
    std::vector<Hit> related;
};

[[nodiscard]] auto to_json(ArticleView view) -> nlohmann::json;

/// More like this: {"id", "hits"}.
struct Related {
    std::string id;
    std::vector<Hit> hits;
};

[[nodiscard]] auto to_json(Related related) -> nlohmann::json;

/// A completion of the text typed so far.
struct Suggestion {
    std::string text;
    std::string word;
    Xapian::doccount documents = 0;
};

struct Suggestions {
    std::string query;
    std::vector<Suggestion> suggestions;
};

[[nodiscard]] auto to_json(const Suggestions& suggestions) -> nlohmann::json;

/// /stats: the live generation.
struct IndexStats {
    Xapian::doccount documents = 0;
    std::string generation;
    Xapian::rev revision = 0;
    std::string built_at;
    std::string language;
    nlohmann::json fields;  ///< the schema's field table
};

[[nodiscard]] auto to_json(const IndexStats& stats) -> nlohmann::json;

/// What there is to browse: every facet's counts over the whole index.
struct Overview {
    Xapian::doccount documents = 0;
    std::vector<Facet> facets;
    std::string topic_filter;  ///< the facet of the topics role, empty if none
};

[[nodiscard]] auto to_json(const Overview& overview) -> nlohmann::json;

}  // namespace broadsheet::server
