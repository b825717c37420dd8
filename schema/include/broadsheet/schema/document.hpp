#pragma once
// Articles: validated records, their Xapian documents, and back.

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include <xapian.h>
#include <nlohmann/json.hpp>

#include "broadsheet/schema/record_dictionary.hpp"
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

/// How the fields of the default search keep their prefixed words: without
/// stemmed twins (field_stems.hpp), or with them, as indexes built before
/// `broadsheet.field_terms` did (kept when adding to one of those).
enum class FieldTerms { unstemmed, with_stems };

/// Turns a normalised article into a Xapian document: each text field's
/// words under its prefix with their positions (as `field_terms` says for
/// the fields of the default search; with stemmed twins for the others) and,
/// for the fields of the default search, weighted and unprefixed without
/// positions, stemmed and unstemmed; keyword filter
/// terms, the id term, value slots, and the stored fields as document data.
/// The generator must already be configured by the schema. Spelling data
/// comes either from the generator (given the database and FLAG_SPELLING)
/// or, far cheaper, counted into `spelling` when that is not null. Given the
/// generation's record dictionary, the stored fields are compressed with it
/// (but a long body's, which is stored in chunks).
[[nodiscard]] auto make_document(const Schema& schema, const nlohmann::json& article, Xapian::TermGenerator& generator,
                                 WordCounts* spelling = nullptr, const RecordDictionary* dictionary = nullptr,
                                 FieldTerms field_terms = FieldTerms::unstemmed) -> Xapian::Document;

/// The bytes make_document would compress with a record dictionary for this
/// article (the sample to train one on); nothing for a long body, which is
/// stored in chunks instead.
[[nodiscard]] auto record_sample(const Schema& schema, const nlohmann::json& article) -> std::optional<std::string>;

/// A long body as stored: compressed (zstd) in chunks of about
/// body_chunk_bytes, each starting at a word after an ASCII space, with where
/// each starts in bytes, characters and word positions. A snippet then
/// decompresses only the chunks that hold the positions of its terms (the
/// positions Xapian keeps). The stored bytes are scrambled (XOR with a fixed
/// keystream) so that Xapian's own zlib compression, which would otherwise
/// shave a few bytes off and then inflate all of them at every read, finds
/// nothing to shrink and stores them as they are.
class BodyChunks {
public:
    /// Where a chunk starts.
    struct Chunk {
        std::size_t begin = 0;               ///< byte offset in the body
        std::size_t char_begin = 0;          ///< the same in characters (code points)
        Xapian::termpos first_position = 0;  ///< the position of its first indexed word (or where it would be)
    };

    /// Parses the stored table and takes the stored bytes, whose scrambled
    /// compressed chunks start at `begin`, at byte `key_offset` of the
    /// keystream; throws std::runtime_error when they disagree.
    BodyChunks(const nlohmann::json& table, std::string stored, std::size_t begin, std::size_t key_offset);

    [[nodiscard]] auto chunks() const -> const std::vector<Chunk>& { return m_chunks; }
    /// The body's length in bytes.
    [[nodiscard]] auto size() const -> std::size_t { return m_size; }
    /// Byte offset just past chunk `i`.
    [[nodiscard]] auto chunk_end(std::size_t i) const -> std::size_t {
        return i + 1 < m_chunks.size() ? m_chunks[i + 1].begin : m_size;
    }
    /// The position just past the body's last word: positions from here on are other fields'.
    [[nodiscard]] auto end_position() const -> Xapian::termpos { return m_end_position; }
    /// The chunk holding word position `position` (the last whose first position is not after it).
    [[nodiscard]] auto chunk_of_position(Xapian::termpos position) const -> std::size_t;
    /// Writes chunk `i` (chunk_end(i) - chunks()[i].begin bytes) to `out`.
    void decompress(std::size_t i, char* out) const;
    /// The whole body.
    [[nodiscard]] auto text() const -> std::string;
    /// The bytes kept: the compressed chunks.
    [[nodiscard]] auto stored_bytes() const -> std::size_t { return m_stored.size(); }

private:
    std::vector<Chunk> m_chunks;
    std::vector<std::size_t> m_frames;  // offsets of each chunk's compressed frame in m_stored, and the end
    std::string m_stored;
    std::size_t m_key_offset = 0;  // of m_stored's first byte
    std::size_t m_size = 0;
    Xapian::termpos m_end_position = 0;
};

/// Bodies from this many bytes on are stored in chunks (BodyChunks); shorter
/// ones are stored as they are, where Xapian's own compression serves them well.
inline constexpr std::size_t min_chunked_body_bytes = std::size_t{8} * 1024;
/// About how long a chunk of a long body is.
inline constexpr std::size_t body_chunk_bytes = std::size_t{4} * 1024;

/// A document's stored data, with the snippet field (the body) kept apart:
/// it is stored after the JSON of the other fields, unescaped, so reading a
/// hit never runs a long body through the JSON parser.
struct StoredDocument {
    nlohmann::json fields;  ///< every stored field but the snippet field (absent ones null)
    std::string body;       ///< the snippet field's text ("" if none; see `chunks`)
    /// A long body still in its chunks, when read with BodyReading::chunks
    /// (`body` is then empty); with BodyReading::whole it is always absent.
    std::optional<BodyChunks> chunks;
};

/// How read_stored returns a long body.
enum class BodyReading {
    whole,   ///< decompressed into StoredDocument::body
    chunks,  ///< left in StoredDocument::chunks when it is stored in chunks
};

/// Reads the three layouts: the JSON object of the stored fields but the
/// body, NUL, the body as is; or a byte 2, then scrambled: that record as one
/// zstd frame made with the generation's record dictionary; or (from
/// min_chunked_body_bytes on) a byte 1, then scrambled: the JSON array [that
/// object, chunk table], NUL, the chunks. A compressed record needs
/// `dictionary`: without it, or with another, std::runtime_error says so.
[[nodiscard]] auto read_stored(const Schema& schema, const Xapian::Document& doc,
                               BodyReading reading = BodyReading::whole, const RecordDictionary* dictionary = nullptr)
    -> StoredDocument;

/// All stored fields of a document as JSON, the body included.
[[nodiscard]] auto stored_fields(const Schema& schema, const Xapian::Document& doc,
                                 const RecordDictionary* dictionary = nullptr) -> nlohmann::json;

/// Serialises a multi-valued keyword into one value slot and back (for facets).
[[nodiscard]] auto join_values(const nlohmann::json& values) -> std::string;
[[nodiscard]] auto split_values(std::string_view joined) -> std::vector<std::string>;

}  // namespace broadsheet::schema
