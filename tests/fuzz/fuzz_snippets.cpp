// Snippets and highlighting of an arbitrary text for an arbitrary query.
// Input: the snippet length on the first line, the query on the second, the
// text after it.
//
// Properties: matches are in order, inside the text and do not overlap; a
// highlight shows exactly the text; a snippet shows pieces of the text in
// order, at most `length` characters of it, well-formed UTF-8 when the text was;
// wildcards are marked alike whether read from the query's serialisation or
// expanded by Xapian.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "broadsheet/schema/text.hpp"
#include "broadsheet/server/query_builder.hpp"
#include "broadsheet/server/snippets.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace broadsheet;
using broadsheet::fuzz::fail;

constexpr std::string_view ellipsis = "\xE2\x80\xA6";

auto next_line(std::string_view& rest) -> std::string_view {
    auto end = rest.find('\n');
    auto line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    return line;
}

auto read_length(std::string_view line) -> int {
    int length = 200;
    std::from_chars(line.data(), line.data() + line.size(), length);
    return std::clamp(length, 1, 2000);
}

auto count_chars(std::string_view text) -> std::size_t {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

void check_matches(const server::SnippetTerms& terms, std::string_view text, std::string_view input) {
    std::size_t previous_end = 0;
    for (const auto& match : terms.find(text)) {
        if (match.begin >= match.end || match.end > text.size()) fail("a match outside the text", input);
        if (match.begin < previous_end) fail("matches out of order or overlapping", input);
        if (schema::is_text(text) && (match.char_begin != count_chars(text.substr(0, match.begin)) ||
                                      match.char_end != count_chars(text.substr(0, match.end))))
            fail("a match's character offsets disagree with its byte offsets", input);
        previous_end = match.end;
    }
}

auto same_matches(const std::vector<server::TextMatch>& a, const std::vector<server::TextMatch>& b) -> bool {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
        // (Term numbers may differ: a wildcard of another field still takes one.)
        return x.begin == y.begin && x.end == y.end;
    });
}

void check_snippet(const std::string& html, std::string_view text, int length, std::string_view input) {
    auto shown = fuzz::shown_text(html, input);
    if (schema::is_text(text) && !schema::is_text(shown)) fail("the snippet is not UTF-8 though the text was", input);
    // Each piece between the "…" marks is text of the article, in order.
    std::size_t shown_chars = 0, text_at = 0;
    std::string_view rest = shown;
    while (true) {
        auto mark = rest.find(ellipsis);
        auto piece = rest.substr(0, mark);
        if (!piece.empty()) {
            auto found = text.find(piece, text_at);
            if (found == std::string_view::npos)
                fail("the snippet shows text the article does not have in that order", input);
            text_at = found + piece.size();
            shown_chars += count_chars(piece);
        }
        if (mark == std::string_view::npos) break;
        rest.remove_prefix(mark + ellipsis.size());
    }
    if (schema::is_text(text) && shown_chars > static_cast<std::size_t>(length))
        fail("the snippet shows " + std::to_string(shown_chars) + " characters, more than " + std::to_string(length),
             input);
}

}  // namespace

extern "C" auto LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) -> int {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string_view rest = input;
    const int length = read_length(next_line(rest));
    const auto query = std::string(next_line(rest));
    const std::string_view text = rest;

    auto& index = fuzz::small_index();
    const auto& schema = index.schema();
    server::BuiltQuery built;
    try {
        auto request = server::parse_search_request({{"q", query}}, index.limits(), schema);
        built = server::build_query(request, schema, index.parser(), &index.database());
    } catch (...) {
        return 0;  // refused queries are the query target's business
    }

    for (const auto* field : {schema.title_field(), schema.snippet_field()}) {
        const server::SnippetTerms terms(built.parsed, schema, *field);
        check_matches(terms, text, input);
        if (fuzz::shown_text(server::highlight_all(terms, text), input) != text)
            fail("the highlighted text is not the text", input);
        check_snippet(server::make_snippet(terms, text, length), text, length, input);
        if (query.find('*') != std::string::npos &&
            !same_matches(
                terms.find(text),
                server::SnippetTerms(built.parsed, schema, *field, server::QueryReading::public_api_only).find(text)))
            fail("wildcards expanded by Xapian mark other words than their patterns", input);
    }
    return 0;
}
