#pragma once
// The zstd dictionary a generation's stored records are compressed with.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

namespace broadsheet::schema {

/// A zstd dictionary trained on a sample of a build's stored records. A
/// news record is too short for zstd or zlib to find much to repeat within
/// it; the dictionary holds what records share (field names, agencies,
/// stock phrases), so each record compresses to about 60% of its zlib size.
/// Read-only once made: one instance serves any number of threads.
class RecordDictionary {
public:
    /// Takes the dictionary's bytes as trained (or stored); throws
    /// std::runtime_error when they are not a zstd dictionary.
    explicit RecordDictionary(std::string bytes);
    ~RecordDictionary();
    RecordDictionary(const RecordDictionary&) = delete;
    auto operator=(const RecordDictionary&) -> RecordDictionary& = delete;

    /// The bytes to store (in the generation's metadata).
    [[nodiscard]] auto bytes() const -> const std::string& { return m_bytes; }
    /// The id zstd writes into each frame made with this dictionary.
    [[nodiscard]] auto id() const -> unsigned { return m_id; }

    /// Appends `record` to `out` as one zstd frame.
    void compress(std::string_view record, std::string& out) const;
    /// The record a frame made by compress() holds; throws std::runtime_error
    /// when the frame is damaged or was made with another dictionary.
    [[nodiscard]] auto decompress(std::string_view frame) const -> std::string;

private:
    struct Tables;
    std::string m_bytes;
    unsigned m_id = 0;
    std::unique_ptr<Tables> m_tables;
};

/// The most bytes a record dictionary takes (zstd's own default size).
inline constexpr std::size_t record_dictionary_bytes = 110 * 1024;
/// Fewer sample records than this train no dictionary: too few to say what
/// records have in common (tiny corpora keep plain records).
inline constexpr std::size_t min_dictionary_samples = 1000;

/// Trains a dictionary on sample records; nothing when there are too few
/// samples or zstd finds nothing worth a dictionary.
[[nodiscard]] auto train_record_dictionary(const std::vector<std::string>& samples) -> std::optional<std::string>;

/// The dictionary stored in a database's metadata (metadata::record_dictionary),
/// or null when it has none (built without, or before there were dictionaries).
/// Throws std::runtime_error when the stored one is damaged.
[[nodiscard]] auto load_record_dictionary(const Xapian::Database& db) -> std::shared_ptr<const RecordDictionary>;

}  // namespace broadsheet::schema
