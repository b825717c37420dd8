#pragma once
// Article text files as scraped from news sites: title line, standfirst line,
// body paragraphs, then page furniture that is not part of the article.

#include <string>
#include <string_view>

namespace broadsheet::indexer {

struct TextArticle {
    std::string title;
    std::string subtitle;  ///< the standfirst
    std::string body;      ///< paragraphs joined by "\n", furniture removed
};

/// Splits a text file into title, standfirst and body. The first non-empty
/// line is the title, the next non-empty line the standfirst, the rest the
/// body, cut at the first line of page furniture ("Similar topics",
/// "Broader topics", "Other stories you might like", a copyright footer).
/// Throws std::invalid_argument if the content is not UTF-8 text (NUL
/// bytes, invalid sequences) or has no title.
[[nodiscard]] auto parse_text_article(std::string_view content) -> TextArticle;

}  // namespace broadsheet::indexer
