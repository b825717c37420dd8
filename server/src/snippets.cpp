#include "broadsheet/server/snippets.hpp"

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
}  // namespace

auto make_snippet(const Xapian::MSet& mset, std::string_view text, int length, const Xapian::Stem& stemmer)
    -> std::string {
    if (text.empty()) return {};
    // MSet::snippet escapes the text itself, so only <mark> is markup.
    // No SNIPPET_EXHAUSTIVE and no SNIPPET_BACKGROUND_MODEL: both look at every
    // word of the body (the latter with an index lookup per word), which made
    // snippets cost milliseconds per hit on long articles. Passages are
    // scored by the query's own matches.
    auto snippet = mset.snippet(std::string(text), static_cast<std::size_t>(length), stemmer, 0, mark_open,
                                mark_close, ellipsis);
    // Without a match Xapian picks some later passage (or the end); the
    // start of an article reads better.
    if (snippet.find(mark_open) == std::string::npos)
        return leading_passage(text, static_cast<std::size_t>(length));
    return snippet;
}

auto highlight_all(const Xapian::MSet& mset, std::string_view text, const Xapian::Stem& stemmer) -> std::string {
    if (text.empty()) return {};
    // A length beyond the text keeps all of it.
    return mset.snippet(std::string(text), text.size() + 16, stemmer, Xapian::MSet::SNIPPET_EXHAUSTIVE, mark_open,
                        mark_close, ellipsis);
}

}  // namespace broadsheet::server
