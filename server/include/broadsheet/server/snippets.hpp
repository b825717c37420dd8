#pragma once
// Highlighted text for hits: HTML-escaped, with matched words in <mark>.
// Built from small units: word reading (snippet_words.hpp), the terms to mark
// (snippet_terms.hpp), passage choice (snippet_passage.hpp) and rendering
// (snippet_render.hpp).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

#include "broadsheet/schema/document.hpp"
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

/// make_snippet for the long bodies (stored in chunks, schema::BodyChunks) of
/// one query's hits in one database: the same snippets, from fewer chunks.
/// The positions of the query's words in the hit say where windows of
/// matches can be and how dense each can be at most; the chunks of the most
/// promising windows are decompressed and scanned until none left can beat
/// the densest found, then those around the passage (all of them for a query
/// with a wildcard). Which terms to look up is worked out once, at the first
/// body. Keeps references to both; for one thread at a time.
class ChunkedSnippets {
public:
    ChunkedSnippets(const SnippetTerms& terms, const Xapian::Database& db) : m_terms(terms), m_db(db) {}

    /// The snippet of `body`, the body of document `did`.
    [[nodiscard]] auto make(const schema::BodyChunks& body, Xapian::docid did, int length) -> std::string;

    /// How many chunks the snippets made so far decompressed.
    [[nodiscard]] auto chunks_read() const -> std::size_t { return m_chunks_read; }

private:
    const SnippetTerms& m_terms;
    const Xapian::Database& m_db;
    std::optional<std::optional<std::vector<SnippetTerms::PositionTerm>>> m_position_terms;  // once worked out
    std::size_t m_chunks_read = 0;
};

/// The whole of `text` (a title, an article page) with every match marked. HTML-escaped.
[[nodiscard]] auto highlight_all(const SnippetTerms& terms, std::string_view text) -> std::string;

}  // namespace broadsheet::server
