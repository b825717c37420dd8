#include "broadsheet/server/html.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <span>
#include <stdexcept>
#include <utility>

#include <ctemplate/template.h>

#include "broadsheet/schema/strings.hpp"
#include "broadsheet/server/page_files.hpp"

namespace broadsheet::server {

namespace {

// Result links stop where the server's result window does (page * size).
constexpr unsigned long long max_linked_results = 10000;

// The templates, loaded into ctemplate's cache once, on first use.
void load_templates() {
    static const bool loaded = [] {
        for (const auto& file : page_files()) {
            if (!file.name.starts_with("templates/")) continue;
            auto name = file.name.substr(std::string_view("templates/").size());
            if (!ctemplate::StringToTemplateCache(ctemplate::TemplateString(name.data(), name.size()),
                                                  ctemplate::TemplateString(file.text.data(), file.text.size()),
                                                  ctemplate::STRIP_WHITESPACE))
                throw std::logic_error("the page template " + std::string(file.name) + " does not parse");
        }
        return true;
    }();
    (void)loaded;
}

auto asset(std::string_view name) -> std::string_view {
    for (const auto& file : page_files())
        if (file.name == name) return file.text;
    throw std::logic_error("no page file " + std::string(name));
}

auto set(ctemplate::TemplateDictionary& dict, const char* name, std::string_view value) {
    dict.SetValue(name, ctemplate::TemplateString(value.data(), value.size()));
}

// A page: the frame (page.tpl) around `content`, whose dictionary the caller fills.
class Page {
public:
    Page(const Site& site, std::string_view title, std::string_view query, const char* content) : m_dict("page") {
        load_templates();
        set(m_dict, "TITLE", title);
        set(m_dict, "SITE", site.name);
        set(m_dict, "QUERY", query);
        set(m_dict, "STYLE", asset("assets/site.css"));
        set(m_dict, "SCRIPT", asset("assets/site.js"));
        m_content = m_dict.AddIncludeDictionary("CONTENT");
        m_content->SetFilename(content);
    }
    [[nodiscard]] auto content() -> ctemplate::TemplateDictionary& { return *m_content; }
    [[nodiscard]] auto render() const -> std::string {
        std::string html;
        if (!ctemplate::ExpandTemplate("page.tpl", ctemplate::STRIP_WHITESPACE, &m_dict, &html))
            throw std::logic_error("a page template could not be expanded");
        html += '\n';
        return html;
    }

private:
    ctemplate::TemplateDictionary m_dict;
    ctemplate::TemplateDictionary* m_content = nullptr;
};

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

auto toggle_filter_link(const SearchRequest& request, const std::string& name, const std::string& value)
    -> std::string {
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

void fill_sort(ctemplate::TemplateDictionary& dict, const SearchRequest& request) {
    static const std::pair<SortOrder, const char*> orders[] = {{SortOrder::relevance, "Relevance"},
                                                               {SortOrder::date_descending, "Newest"},
                                                               {SortOrder::date_ascending, "Oldest"}};
    for (const auto& [order, label] : orders) {
        auto* entry = dict.AddSectionDictionary("SORT");
        auto other = request;
        other.sort = order;
        other.page = 1;
        auto* kind = entry->AddSectionDictionary(order == request.sort ? "CURRENT" : "OTHER");
        set(*kind, "LABEL", label);
        set(*kind, "URL", search_link(other));
    }
}

// What a facet is called on the pages: the topics role's facet is a topic, others by their name.
auto facet_noun(const std::string& name, const std::string& topic_filter) -> std::string {
    return name == topic_filter ? "topic" : name;
}

// A decade's worth of years ("1962" -> "1960s"), or "" for a value that is not a year.
auto decade_of(const std::string& year) -> std::string {
    if (year.size() != 4 || !std::all_of(year.begin(), year.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return {};
    return year.substr(0, 3) + "0s";
}

// More distinct years than this are shown by decade.
constexpr std::size_t max_flat_years = 12;

// Calls visit(label, count, years) for each run of years (newest first) in
// one decade; a value that is not a year is a run of its own, labelled as itself.
template <typename Visit>
void for_each_decade(std::span<const FacetValue> years, Visit&& visit) {
    for (auto it = years.begin(); it != years.end();) {
        auto decade = decade_of(it->value);
        auto end = decade.empty() ? it + 1 : std::find_if(it, years.end(), [&](const FacetValue& v) {
            return decade_of(v.value) != decade;
        });
        Xapian::doccount count = 0;
        for (auto year = it; year != end; ++year) count += year->count;
        visit(decade.empty() ? it->value : decade, count, std::span(it, end));
        it = end;
    }
}

void fill_facets(ctemplate::TemplateDictionary& dict, const std::vector<Facet>& facets, const SearchRequest& request,
                 const std::string& topic_filter) {
    if (facets.empty()) return;
    auto* sidebar = dict.AddSectionDictionary("FACETS");
    for (const auto& facet : facets) {
        auto* section = sidebar->AddSectionDictionary("FACET");
        auto heading = facet_noun(facet.name, topic_filter) + "s";
        heading[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(heading[0])));
        set(*section, "NAME", facet.name);
        set(*section, "HEADING", heading);
        // Filters in force stay listed (to remove them) even when the page's counts omit them.
        for (const auto& [filter, value] : request.filters) {
            if (filter != facet.name) continue;
            auto* active = section->AddSectionDictionary("ACTIVE");
            set(*active, "URL", toggle_filter_link(request, facet.name, value));
            set(*active, "TEXT", value);
        }
        auto add_value = [&](ctemplate::TemplateDictionary& list, const FacetValue& entry) {
            auto* value = list.AddSectionDictionary("VALUE");
            set(*value, "URL", toggle_filter_link(request, facet.name, entry.value));
            set(*value, "TEXT", entry.value);
            set(*value, "COUNT", std::to_string(entry.count));
        };
        std::vector<FacetValue> offered;
        for (const auto& entry : facet.values)
            if (!has_filter(request, facet.name, entry.value)) offered.push_back(entry);
        if (!facet.by_year || offered.size() <= max_flat_years) {
            for (const auto& entry : offered) add_value(*section, entry);
            continue;
        }
        // A long run of years: grouped by decade, each opened to show its years.
        for_each_decade(offered,
                        [&](const std::string& label, Xapian::doccount count, std::span<const FacetValue> years) {
                            auto* decade = section->AddSectionDictionary("DECADE");
                            set(*decade, "LABEL", label);
                            set(*decade, "COUNT", std::to_string(count));
                            for (const auto& entry : years) add_value(*decade, entry);
                        });
    }
}

void fill_pages(ctemplate::TemplateDictionary& dict, const SearchRequest& request, unsigned long long pages) {
    if (pages <= 1) return;
    auto* nav = dict.AddSectionDictionary("PAGES");
    auto current = static_cast<unsigned long long>(request.page);
    if (current > 1) set(*nav->AddSectionDictionary("PREV"), "URL", page_link(request, request.page - 1));
    auto add = [&](unsigned long long page) {
        auto* kind = nav->AddSectionDictionary("PAGE")->AddSectionDictionary(page == current ? "CURRENT" : "LINK");
        set(*kind, "N", std::to_string(page));
        set(*kind, "URL", page_link(request, static_cast<int>(page)));
    };
    auto first = current > 3 ? current - 3 : 1;
    auto last = std::min(pages, current + 3);
    if (first > 1) {
        add(1);
        if (first > 2) nav->AddSectionDictionary("PAGE")->ShowSection("GAP");
    }
    for (auto page = first; page <= last; ++page) add(page);
    if (current < pages) set(*nav->AddSectionDictionary("NEXT"), "URL", page_link(request, request.page + 1));
}

// The date and topics under a title; `topic_link` makes a topic's link.
template <typename TopicLink>
void fill_meta(ctemplate::TemplateDictionary& meta, const Shown& shown, TopicLink&& topic_link) {
    if (!shown.date.empty()) set(*meta.AddSectionDictionary("DATE"), "TEXT", shown.date);
    for (const auto& topic : shown.topics) {
        auto* entry = meta.AddSectionDictionary("TOPIC");
        set(*entry, "TEXT", topic);
        set(*entry, "URL", topic_link(topic));
    }
}

auto article_link(const std::string& id) -> std::string { return "/articles/" + url_encode(id); }

auto browse_link(const std::string& query) -> std::string { return "/search?q=" + url_encode(query) + "&sort=-date"; }

void fill_browse_values(ctemplate::TemplateDictionary& dict, std::span<const FacetValue> values) {
    for (const auto& entry : values) {
        auto* value = dict.AddSectionDictionary("VALUE");
        set(*value, "URL", browse_link(entry.query));
        set(*value, "TEXT", entry.value);
        set(*value, "COUNT", std::to_string(entry.count));
    }
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

auto render_search_page(const SearchResult& result, const SearchRequest& request, const Site& site) -> std::string {
    Page page(site, request.query + " – " + site.name, request.query, "results.tpl");
    auto& dict = page.content();
    set(dict, "QUERY", request.query);
    char took[64];
    std::snprintf(took, sizeof took, "%.2f", result.took_ms);
    set(dict, "TOOK", took);
    set(dict, "COUNT_TEXT",
        std::string(result.total_exact ? "" : "about ") + std::to_string(result.total) +
            (result.total == 1 ? " result" : " results"));
    fill_sort(dict, request);
    if (!result.missing_shards.empty()) {
        auto* partial = dict.AddSectionDictionary("PARTIAL");
        std::string names;
        for (const auto& name : result.missing_shards) names += (names.empty() ? "" : ", ") + name;
        set(*partial, "MISSING", names);
    }
    if (result.notice) {
        auto* notice = dict.AddSectionDictionary("NOTICE");
        set(*notice, "REASON", result.notice->reason);
        set(*notice, "WORDS", result.notice->words);
    }
    if (result.suggestion) {
        auto* suggestion = dict.AddSectionDictionary("SUGGESTION");
        set(*suggestion, "URL", "/search?q=" + url_encode(*result.suggestion));
        set(*suggestion, "TEXT", *result.suggestion);
    }
    if (result.hits.empty()) {
        set(*dict.AddSectionDictionary("NONE"), "ANY_URL", "/search?op=or&q=" + url_encode(request.query));
    } else {
        auto* list = dict.AddSectionDictionary("HITS");
        set(*list, "START", std::to_string(result.hits.front().rank));
        auto topic_link = [&](const std::string& topic) {
            return toggle_filter_link(request, result.topic_filter, topic);
        };
        for (const auto& hit : result.hits) {
            auto* entry = list->AddSectionDictionary("HIT");
            set(*entry, "URL", article_link(hit.id) + "?q=" + url_encode(request.query));
            set(*entry, "TITLE_HTML",
                hit.title_html && !hit.title_html->empty() ? *hit.title_html : html_escape(hit.id));
            if (!hit.shown.date.empty() || !hit.shown.topics.empty())
                fill_meta(*entry->AddSectionDictionary("META"), hit.shown, topic_link);
            if (hit.snippet_html) set(*entry->AddSectionDictionary("SNIPPET"), "HTML", *hit.snippet_html);
        }
    }
    // Pages beyond the result window cannot be asked for, so none are offered.
    auto reachable = std::min<unsigned long long>(result.total, max_linked_results);
    auto size = static_cast<unsigned long long>(request.size);
    fill_pages(dict, request, (reachable + size - 1) / size);
    fill_facets(dict, result.facets, request, result.topic_filter);
    return page.render();
}

auto render_article_page(const ArticleView& view, std::string_view query, const Site& site) -> std::string {
    const auto& title = view.shown.title.empty() ? std::string("Article") : view.shown.title;
    Page page(site, title + " – " + site.name, query, "article.tpl");
    auto& dict = page.content();
    set(dict, "TITLE_HTML", view.title_html);
    if (!view.shown.standfirst.empty()) set(*dict.AddSectionDictionary("STANDFIRST"), "TEXT", view.shown.standfirst);
    // Only web links become links; anything else is left out.
    const auto& link = view.shown.link;
    bool source = link.starts_with("http://") || link.starts_with("https://");
    if (!view.shown.date.empty() || !view.shown.topics.empty() || source) {
        auto* meta = dict.AddSectionDictionary("META");
        fill_meta(*meta, view.shown, [&](const std::string& topic) {
            return "/search?q=" + url_encode(topic) + "&" + url_encode(view.topic_filter) + "=" + url_encode(topic);
        });
        if (source) set(*meta->AddSectionDictionary("SOURCE"), "URL", link);
    }
    // body_html is escaped text with <mark>; paragraphs are separated by newlines.
    std::string_view body = view.body_html;
    while (!body.empty()) {
        auto end = std::min(body.find('\n'), body.size());
        if (end > 0) set(*dict.AddSectionDictionary("PARAGRAPH"), "HTML", body.substr(0, end));
        body.remove_prefix(std::min(end + 1, body.size()));
    }
    if (!view.related.empty()) {
        auto* related = dict.AddSectionDictionary("RELATED");
        for (const auto& hit : view.related) {
            auto* entry = related->AddSectionDictionary("HIT");
            set(*entry, "URL", article_link(hit.id));
            set(*entry, "TITLE", hit.shown.title.empty() ? hit.id : hit.shown.title);
            if (!hit.shown.date.empty()) set(*entry->AddSectionDictionary("DATE"), "TEXT", hit.shown.date);
        }
    }
    return page.render();
}

auto render_error_page(std::string_view query, int status, std::string_view message, const Site& site) -> std::string {
    Page page(site, "Search error – " + site.name, query, "error.tpl");
    set(page.content(), "LEAD",
        status >= 500 ? "The search is not available right now: " : "That search could not be run: ");
    set(page.content(), "MESSAGE", message);
    return page.render();
}

auto render_home_page(const Overview& overview, const Site& site) -> std::string {
    Page page(site, site.name, "", "home.tpl");
    auto& dict = page.content();
    set(dict, "SITE", site.name);
    set(dict, "DOCUMENTS", std::to_string(overview.documents));
    // Browsing needs no query: each value links to the query that finds it.
    for (const auto& facet : overview.facets) {
        if (facet.values.empty()) continue;
        auto* section = dict.AddSectionDictionary("FACET");
        set(*section, "NAME", facet.name);
        set(*section, "NOUN", facet_noun(facet.name, overview.topic_filter));
        if (!facet.by_year || facet.values.size() <= max_flat_years) {
            fill_browse_values(*section->AddSectionDictionary("FLAT"), facet.values);
            continue;
        }
        // A long run of years: one entry per decade, opened to show its years.
        auto* decades = section->AddSectionDictionary("DECADES");
        const auto& year_query = facet.values.front().query;
        auto query_name = year_query.substr(0, year_query.find(':') + 1);  // "date:"
        for_each_decade(facet.values, [&](const std::string& label, Xapian::doccount count,
                                          std::span<const FacetValue> years) {
            auto* entry = decades->AddSectionDictionary("DECADE");
            set(*entry, "LABEL", label);
            set(*entry, "COUNT", std::to_string(count));
            // 1960s: date:1960..1969 (a value that is not a year stands for itself).
            bool decade = label.size() == 5 && label.ends_with("0s") && decade_of(label.substr(0, 4)) == label;
            auto range = decade ? label.substr(0, 4) + ".." + label.substr(0, 3) + "9" : label;
            set(*entry, "URL", browse_link(query_name + range));
            fill_browse_values(*entry, years);
        });
    }
    return page.render();
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
        const auto type = schema::trim(part.substr(0, semicolon));
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
