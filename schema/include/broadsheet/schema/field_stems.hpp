#pragma once
// Stemmed field queries (title:markets) on fields whose own words are kept
// unstemmed. A field of the default search has its words twice: unprefixed for
// plain queries, stemmed and unstemmed, and under the field's prefix for field
// queries and phrases. The prefixed copy keeps only the unstemmed words (their
// stemmed twins were a twelfth of the index, for field queries alone): a
// stemmed field word is answered as a synonym of the field's words with that
// stem. They are found among the field's words that begin with the stem less
// its last character, which holds for nearly every word a Snowball stemmer
// meets; the words it does not hold for (English "dying" -> "die") are listed
// in the database's metadata as they are indexed.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace broadsheet::schema {

namespace metadata {
/// "unstemmed" when the fields' prefixed words have no stemmed twins; absent
/// in indexes built before, which have them.
inline constexpr const char* field_terms = "broadsheet.field_terms";
inline constexpr std::string_view unstemmed_field_terms = "unstemmed";
/// What every stem_exceptions_key begins with.
inline constexpr std::string_view stem_exceptions = "broadsheet.stem_exceptions.";
}  // namespace metadata

/// What every word with this stem begins with, unless it is listed as an
/// exception: the stem less its last character (UTF-8). None for a stem of
/// one character, whose words are all listed.
[[nodiscard]] auto stem_scan_prefix(std::string_view stem) -> std::optional<std::string_view>;

/// Whether a word must be listed to be found from its stem.
[[nodiscard]] auto is_stem_exception(std::string_view word, std::string_view stem) -> bool;

/// The metadata key whose value lists the exceptions with this stem, one
/// word a line, in byte order.
[[nodiscard]] auto stem_exceptions_key(std::string_view stem) -> std::string;

/// The words a stem_exceptions_key's value lists.
[[nodiscard]] auto listed_words(std::string_view value) -> std::vector<std::string>;

/// `value` listing `word` too, in its place (as it is if it already does).
[[nodiscard]] auto with_listed_word(std::string value, std::string_view word) -> std::string;

}  // namespace broadsheet::schema
