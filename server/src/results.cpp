#include "broadsheet/server/results.hpp"

namespace broadsheet::server {

using nlohmann::json;

namespace {

auto hits_json(std::vector<Hit>& hits, const std::string& title_html_key) -> json {
    json out = json::array();
    for (auto& hit : hits) out.push_back(to_json(std::move(hit), title_html_key));
    return out;
}

auto optional_text(const std::optional<std::string>& text) -> json { return text ? json(*text) : json(nullptr); }

}  // namespace

auto to_json(Hit hit, const std::string& title_html_key) -> json {
    json out = std::move(hit.fields);
    out["id"] = std::move(hit.id);
    out["rank"] = hit.rank;
    out["score"] = hit.score;
    if (hit.title_html) out[title_html_key] = std::move(*hit.title_html);
    if (hit.snippet_html) out["snippet_html"] = std::move(*hit.snippet_html);
    return out;
}

auto to_json(const std::vector<Facet>& facets) -> json {
    json out = json::object();
    for (const auto& facet : facets) {
        json values = json::array();
        for (const auto& entry : facet.values) {
            json value{{"value", entry.value}, {"count", entry.count}};
            if (!entry.query.empty()) value["query"] = entry.query;
            values.push_back(std::move(value));
        }
        out[facet.name] = std::move(values);
    }
    return out;
}

auto to_json(SearchResult result) -> json {
    json notice = nullptr;
    if (result.notice) {
        notice = {{"code", result.notice->code},
                  {"reason", result.notice->reason},
                  {"message", result.notice->message},
                  {"words", result.notice->words}};
    }
    return json{{"query", std::move(result.query)},
                {"total", result.total},
                {"total_exact", result.total_exact},
                {"page", result.page},
                {"size", result.size},
                {"took_ms", result.took_ms},
                {"timed_out", result.timed_out},
                {"generation", std::move(result.generation)},
                {"partial", !result.missing_shards.empty()},
                {"missing_shards", std::move(result.missing_shards)},
                {"hits", hits_json(result.hits, result.title_html_key)},
                {"facets", to_json(result.facets)},
                {"suggestion", optional_text(result.suggestion)},
                {"notice", std::move(notice)}};
}

auto to_json(ArticleView view) -> json {
    json out = std::move(view.fields);
    out["title_html"] = std::move(view.title_html);
    out["body_html"] = std::move(view.body_html);
    out["related"] = hits_json(view.related, "title_html");
    return out;
}

auto to_json(Related related) -> json {
    return json{{"id", std::move(related.id)}, {"hits", hits_json(related.hits, "title_html")}};
}

auto to_json(const Suggestions& suggestions) -> json {
    json list = json::array();
    for (const auto& s : suggestions.suggestions)
        list.push_back({{"text", s.text}, {"word", s.word}, {"documents", s.documents}});
    return json{{"query", suggestions.query}, {"suggestions", std::move(list)}};
}

auto to_json(const IndexStats& stats) -> json {
    return json{{"documents", stats.documents}, {"generation", stats.generation}, {"revision", stats.revision},
                {"built_at", stats.built_at},   {"language", stats.language},     {"fields", stats.fields}};
}

auto to_json(const Overview& overview) -> json {
    return json{{"documents", overview.documents}, {"facets", to_json(overview.facets)}};
}

}  // namespace broadsheet::server
