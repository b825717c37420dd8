#pragma once
// Rendering for snippets: text as HTML with its matches in <mark>.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "broadsheet/server/snippet_passage.hpp"
#include "broadsheet/server/snippet_terms.hpp"

namespace broadsheet::server {

/// Appends text[from, to) HTML-escaped, the parts of `matches` (in order) in it
/// in <mark>. Marks with only spaces between them share one span, so a phrase
/// reads as one highlight.
void append_marked(std::string& out, std::string_view text, std::size_t from, std::size_t to,
                   const std::vector<TextMatch>& matches);

/// A passage of `text` as append_marked renders it, with "…" where text is left out.
[[nodiscard]] auto render_passage(std::string_view text, const Passage& passage, const std::vector<TextMatch>& matches)
    -> std::string;

}  // namespace broadsheet::server
