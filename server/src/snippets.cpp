#include "broadsheet/server/snippets.hpp"

#include <algorithm>

#include "broadsheet/server/snippet_passage.hpp"
#include "broadsheet/server/snippet_render.hpp"

namespace broadsheet::server {

auto make_snippet(const SnippetTerms& terms, std::string_view text, int length) -> std::string {
    const auto matches = terms.find(text);
    const auto passage = choose_passage(text, matches, static_cast<std::size_t>(std::max(length, 1)));
    return passage ? render_passage(text, *passage, matches) : std::string();
}

auto highlight_all(const SnippetTerms& terms, std::string_view text) -> std::string {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    append_marked(out, text, 0, text.size(), terms.find(text));
    return out;
}

}  // namespace broadsheet::server
