#include "broadsheet/server/snippets.hpp"

namespace broadsheet::server {

namespace {
constexpr const char* mark_open = "<mark>";
constexpr const char* mark_close = "</mark>";
constexpr const char* ellipsis = "…";
}  // namespace

auto make_snippet(const Xapian::MSet& mset, std::string_view text, int length, const Xapian::Stem& stemmer)
    -> std::string {
    if (text.empty()) return {};
    // MSet::snippet escapes the text itself, so only <mark> is markup.
    return mset.snippet(std::string(text), static_cast<std::size_t>(length), stemmer,
                        Xapian::MSet::SNIPPET_BACKGROUND_MODEL | Xapian::MSet::SNIPPET_EXHAUSTIVE,
                        mark_open, mark_close, ellipsis);
}

auto highlight_all(const Xapian::MSet& mset, std::string_view text, const Xapian::Stem& stemmer) -> std::string {
    if (text.empty()) return {};
    // A length beyond the text keeps all of it.
    return mset.snippet(std::string(text), text.size() + 16, stemmer, Xapian::MSet::SNIPPET_EXHAUSTIVE, mark_open,
                        mark_close, ellipsis);
}

}  // namespace broadsheet::server
