#include "broadsheet/server/snippets.hpp"

#include <algorithm>

#include "broadsheet/server/html.hpp"

namespace broadsheet::server {

namespace {
constexpr const char* mark_open = "<mark>";
constexpr const char* mark_close = "</mark>";
constexpr const char* ellipsis = "…";

auto is_space(char c) -> bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The start of the text, at most `length` bytes, cut at a word boundary and
// never inside a UTF-8 sequence. HTML-escaped.
auto leading_passage(std::string_view text, std::size_t length) -> std::string {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    if (text.size() <= length) return html_escape(text);
    auto cut = length;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
    for (auto end = cut; end > 0; --end) {
        if (is_space(text[end])) {
            cut = end;
            break;
        }
    }
    auto passage = text.substr(0, cut);
    while (!passage.empty() && is_space(passage.back())) passage.remove_suffix(1);
    return html_escape(passage) + ellipsis;
}
// Marks on neighbouring words become one span, so a phrase reads as one
// highlight ("<mark>interest rates rose</mark>") rather than three.
auto merge_adjacent_marks(std::string html) -> std::string {
    const std::string seam = std::string(mark_close) + " " + mark_open;
    for (auto at = html.find(seam); at != std::string::npos; at = html.find(seam, at + 1))
        html.replace(at, seam.size(), " ");
    return html;
}

}  // namespace

auto make_snippet(const Xapian::MSet& mset, std::string_view text, int length, const Xapian::Stem& stemmer)
    -> std::string {
    if (text.empty()) return {};
    // Long articles are read a chunk at a time and the snippet is cut from
    // the first chunk with a match: Xapian tokenises and stems every word it
    // is given, so handing it a whole 200 KB speech for one passage costs
    // milliseconds per hit.
    constexpr std::size_t chunk_bytes = 16 * 1024;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = std::min(text.size(), start + chunk_bytes);
        if (end < text.size()) {
            // End the chunk at a space, past any partial UTF-8 sequence.
            auto space = text.find_first_of(" \n\t", end);
            end = space == std::string_view::npos ? text.size() : space;
        }
        auto chunk = text.substr(start, end - start);
        // No SNIPPET_EXHAUSTIVE and no SNIPPET_BACKGROUND_MODEL: both look at
        // every word (the latter with an index lookup per word). Passages are
        // scored by the query's own matches. MSet::snippet escapes the text,
        // so only <mark> is markup.
        auto snippet = mset.snippet(std::string(chunk), static_cast<std::size_t>(length), stemmer, 0, mark_open,
                                    mark_close, ellipsis);
        if (snippet.find(mark_open) != std::string::npos) {
            const std::string_view omit = ellipsis;
            if (start > 0 && snippet.rfind(omit, 0) != 0) snippet.insert(0, omit);
            if (end < text.size() && (snippet.size() < omit.size() ||
                                      snippet.compare(snippet.size() - omit.size(), omit.size(), omit) != 0))
                snippet += omit;
            return merge_adjacent_marks(std::move(snippet));
        }
        start = end;
    }
    // No match in the body (a title-only hit): the start of an article reads
    // better than whatever passage Xapian would pick.
    return leading_passage(text, static_cast<std::size_t>(length));
}

auto highlight_all(const Xapian::MSet& mset, std::string_view text, const Xapian::Stem& stemmer) -> std::string {
    if (text.empty()) return {};
    // A length beyond the text keeps all of it.
    return merge_adjacent_marks(mset.snippet(std::string(text), text.size() + 16, stemmer,
                                             Xapian::MSet::SNIPPET_EXHAUSTIVE, mark_open, mark_close, ellipsis));
}

}  // namespace broadsheet::server
