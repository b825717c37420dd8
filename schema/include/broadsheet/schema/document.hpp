#pragma once
// Articles: validated records, their Xapian documents, and back.

#include <stdexcept>
#include <string>
#include <unordered_map>

#include <xapian.h>
#include <nlohmann/json.hpp>

#include "broadsheet/schema/schema.hpp"

namespace broadsheet::schema {

/// A record that cannot become an article; what() is the reason, for "file:line: reason".
struct RecordError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Checks a raw input object against the schema and returns it in canonical
/// form: only schema fields, under their canonical names, dates in ISO form,
/// multi-valued keywords as arrays of strings. Unknown keys are ignored.
/// Throws RecordError (missing id, wrong type, unparsable date).
[[nodiscard]] auto normalize_record(const Schema& schema, const nlohmann::json& raw) -> nlohmann::json;

/// Each searchable word of some documents and how often it occurs: the
/// spelling data TermGenerator's FLAG_SPELLING would add one occurrence at a
/// time, to be added to the database once per word (add_spelling(word, count)).
using WordCounts = std::unordered_map<std::string, Xapian::termcount>;

/// Turns a normalised article into a Xapian document: prefixed and
/// weighted unprefixed terms with positions, keyword filter terms, the id
/// term, value slots, and the stored fields as document data.
/// The generator must already be configured by the schema. Spelling data
/// comes either from the generator (given the database and FLAG_SPELLING)
/// or, far cheaper, counted into `spelling` when that is not null.
[[nodiscard]] auto make_document(const Schema& schema, const nlohmann::json& article, Xapian::TermGenerator& generator,
                                 WordCounts* spelling = nullptr) -> Xapian::Document;

/// A document's stored data, with the snippet field (the body) kept apart:
/// it is stored after the JSON of the other fields, unescaped, so reading a
/// hit never runs a long body through the JSON parser.
struct StoredDocument {
    nlohmann::json fields;  ///< every stored field but the snippet field (absent ones null)
    std::string body;       ///< the snippet field's text ("" if none)
};

[[nodiscard]] auto read_stored(const Schema& schema, const Xapian::Document& doc) -> StoredDocument;

/// All stored fields of a document as JSON, the body included.
[[nodiscard]] auto stored_fields(const Schema& schema, const Xapian::Document& doc) -> nlohmann::json;

/// Serialises a multi-valued keyword into one value slot and back (for facets).
[[nodiscard]] auto join_values(const nlohmann::json& values) -> std::string;
[[nodiscard]] auto split_values(std::string_view joined) -> std::vector<std::string>;

}  // namespace broadsheet::schema
