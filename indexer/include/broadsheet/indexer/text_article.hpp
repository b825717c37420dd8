#pragma once
// Article text files as scraped from news sites: title line, standfirst line,
// body paragraphs, then page furniture that is not part of the article.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "broadsheet/schema/schema.hpp"

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

/// The record fields a text file's parts go to. The defaults are the default
/// schema's; text_fields() reads them from a schema's roles. An empty name
/// leaves that part out of the record.
struct TextFields {
    std::string id = "id";
    std::string title = "title";
    std::string standfirst = "subtitle";
    std::string body = "body";
};

/// The id field, the title and standfirst roles, and the snippet field (the body).
[[nodiscard]] auto text_fields(const schema::Schema& schema) -> TextFields;

/// The record of a text file: its id and parts under the fields' names.
[[nodiscard]] auto text_record(TextArticle article, std::string id, const TextFields& fields) -> nlohmann::json;

}  // namespace broadsheet::indexer
