#include "broadsheet/indexer/text_article.hpp"
#include "broadsheet/schema/strings.hpp"
#include "broadsheet/schema/text.hpp"

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace broadsheet::indexer {

namespace {

// A copyright line longer than this is prose that mentions copyright, not a footer.
constexpr std::size_t max_footer_bytes = 200;
// A footer is at the bottom of the page: only a few short lines (links, "All
// rights reserved") may follow it. Further up, a "©" is a photo credit or prose.
constexpr std::size_t max_lines_after_footer = 5;

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

// Headings that start the page furniture below a scraped article.
constexpr std::array<std::string_view, 3> furniture_headings = {
    "similar topics",
    "broader topics",
    "other stories you might like",
};

// Teaser links to other stories; never article text.
constexpr std::string_view teaser_link = "continue reading";

void check_text(std::string_view content) {
    const auto bad = schema::first_non_text_byte(content);
    if (bad == std::string_view::npos) return;
    if (content[bad] == '\0') {
        throw std::invalid_argument("not text (NUL byte at offset " + std::to_string(bad) + ")");
    }
    throw std::invalid_argument("not UTF-8 text (invalid byte at offset " + std::to_string(bad) + ")");
}

// Scraped pages pad lines with no-break and zero-width spaces as well as ASCII ones.
constexpr std::array<std::string_view, 3> unicode_spaces = {
    "\xC2\xA0",      // U+00A0 NO-BREAK SPACE
    "\xE2\x80\x8B",  // U+200B ZERO WIDTH SPACE
    "\xEF\xBB\xBF",  // U+FEFF ZERO WIDTH NO-BREAK SPACE
};

[[nodiscard]] auto trim_page_spaces(std::string_view s) -> std::string_view {
    bool changed = true;
    while (changed && !s.empty()) {
        changed = false;
        if (schema::is_ascii_space(s.front())) {
            s.remove_prefix(1);
            changed = true;
        } else if (schema::is_ascii_space(s.back())) {
            s.remove_suffix(1);
            changed = true;
        }
        for (auto space : unicode_spaces) {
            if (s.starts_with(space)) {
                s.remove_prefix(space.size());
                changed = true;
            }
            if (s.ends_with(space)) {
                s.remove_suffix(space.size());
                changed = true;
            }
        }
    }
    return s;
}

/// Case-insensitive (ASCII) comparison; `lower` must already be lower case.
[[nodiscard]] auto equals_ignoring_case(std::string_view s, std::string_view lower) -> bool {
    if (s.size() != lower.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (schema::ascii_lower(s[i]) != lower[i]) return false;
    }
    return true;
}

[[nodiscard]] auto starts_with_ignoring_case(std::string_view s, std::string_view lower) -> bool {
    return s.size() >= lower.size() && equals_ignoring_case(s.substr(0, lower.size()), lower);
}

[[nodiscard]] auto is_furniture_heading(std::string_view line) -> bool {
    for (auto heading : furniture_headings) {
        if (equals_ignoring_case(line, heading)) return true;
    }
    return false;
}

[[nodiscard]] auto looks_like_copyright(std::string_view line) -> bool {
    if (line.size() >= max_footer_bytes) return false;
    return line.find("\xC2\xA9") != std::string_view::npos  // ©
           || starts_with_ignoring_case(line, "copyright") || starts_with_ignoring_case(line, "(c)");
}

/// The non-empty lines, trimmed. "\r\n", "\n" and a lone "\r" all end a line.
[[nodiscard]] auto non_empty_lines(std::string_view text) -> std::vector<std::string_view> {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const auto end = text.find_first_of("\r\n");
        const auto line = trim_page_spaces(text.substr(0, end));
        if (!line.empty()) lines.push_back(line);
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
    return lines;
}

/// Index of the first line of page furniture at or after `from`, or lines.size().
/// A footer is a copyright line with at most max_lines_after_footer lines
/// between it and the first heading (or the end), so only the few lines just
/// above that point can be one: one pass, however many lines the file has.
[[nodiscard]] auto furniture_start(const std::vector<std::string_view>& lines, std::size_t from) -> std::size_t {
    std::size_t heading = from;
    while (heading < lines.size() && !is_furniture_heading(lines[heading])) ++heading;
    const std::size_t window = max_lines_after_footer + 1;
    const std::size_t first_candidate = heading - from > window ? heading - window : from;
    for (std::size_t i = first_candidate; i < heading; ++i) {
        if (looks_like_copyright(lines[i])) return i;
    }
    return heading;
}

}  // namespace

auto parse_text_article(std::string_view content) -> TextArticle {
    check_text(content);
    if (content.starts_with(utf8_bom)) content.remove_prefix(utf8_bom.size());

    const auto lines = non_empty_lines(content);
    if (lines.empty()) throw std::invalid_argument("no title");

    TextArticle article;
    article.title = std::string(lines[0]);
    // Furniture is only looked for after the title: a file always has one.
    const auto end = furniture_start(lines, 1);
    if (end > 1) article.subtitle = std::string(lines[1]);
    for (std::size_t i = 2; i < end; ++i) {
        if (equals_ignoring_case(lines[i], teaser_link)) continue;
        if (!article.body.empty()) article.body += '\n';
        article.body += lines[i];
    }
    return article;
}

auto text_fields(const schema::Schema& schema) -> TextFields {
    auto name = [](const schema::FieldSpec* field) { return field ? field->name : std::string(); };
    return {schema.id_field().name, name(schema.title_field()), name(schema.role_field(schema::Role::standfirst)),
            name(schema.snippet_field())};
}

auto text_record(TextArticle article, std::string id, const TextFields& fields) -> nlohmann::json {
    nlohmann::json record = nlohmann::json::object();
    record[fields.id] = std::move(id);
    if (!fields.title.empty()) record[fields.title] = std::move(article.title);
    if (!fields.standfirst.empty()) record[fields.standfirst] = std::move(article.subtitle);
    if (!fields.body.empty()) record[fields.body] = std::move(article.body);
    return record;
}

}  // namespace broadsheet::indexer
