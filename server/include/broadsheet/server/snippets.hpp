#pragma once
// Highlighted text for hits: HTML-escaped, with matched words in <mark>.
// Built from small units: word reading (snippet_words.hpp), the terms to mark
// (snippet_terms.hpp), passage choice (snippet_passage.hpp) and rendering
// (snippet_render.hpp).

#include <string>
#include <string_view>

#include "broadsheet/server/snippet_terms.hpp"

namespace broadsheet::server {

/// A passage of at most `length` characters (code points, not bytes, so CJK
/// text is not cut short) of `text` where the matches are densest: the most
/// different terms, then the most matches, the earliest on a tie. It starts at
/// a sentence start when one is shortly before the first match, is cut at word
/// boundaries (inside a word only when one word is longer than `length`) and
/// says "…" where text is left out. Without a match, the start of the text.
/// HTML-escaped, with the matches in <mark>; neighbouring ones share a span.
/// `length` (at least 1) counts the article's characters, not the markup or the "…".
[[nodiscard]] auto make_snippet(const SnippetTerms& terms, std::string_view text, int length) -> std::string;

/// The whole of `text` (a title, an article page) with every match marked. HTML-escaped.
[[nodiscard]] auto highlight_all(const SnippetTerms& terms, std::string_view text) -> std::string;

}  // namespace broadsheet::server
