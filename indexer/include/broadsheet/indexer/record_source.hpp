#pragma once
// Input readers: turn the indexer's --input paths into raw JSON records,
// each tagged with where it came from, streaming (never the whole corpus in memory).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broadsheet/indexer/text_article.hpp"

namespace broadsheet::indexer {

/// One record as read, before schema validation.
struct RawRecord {
    nlohmann::json value;  ///< a JSON object (from a JSONL line, or title/subtitle/body/id from a text file)
    std::string origin;    ///< "path:line" for JSONL, "path" for text files; "-:line" for stdin
};

/// A record that could not be read: invalid JSON, not an object, a file that is not text.
struct BadRecord {
    std::string origin;
    std::string reason;
};

using RecordSink = std::function<void(RawRecord&&)>;
using BadRecordSink = std::function<void(BadRecord&&)>;
/// Called now and then with the input bytes consumed so far (compressed bytes for .gz).
using ProgressSink = std::function<void(std::uint64_t bytes_done)>;

/// The default bound on one record: a JSONL line, or a whole article text file.
inline constexpr std::size_t default_max_record_bytes = std::size_t{16} << 20;  // 16 MiB

struct SourceOptions {
    /// Text files: the id is the file name without extension (the default), or,
    /// when false, the path relative to the input directory without extension.
    bool id_from_file_name = true;
    /// A JSONL line (after decompression) or a text file longer than this is a
    /// bad record, found without holding more than this much of it in memory.
    std::size_t max_record_bytes = default_max_record_bytes;
    /// Text files: the fields their title, standfirst and body go to.
    TextFields text_fields;
};

/// Sum of the sizes of all regular input files (0 for stdin): the progress bar's total.
[[nodiscard]] auto total_input_bytes(const std::vector<std::string>& inputs) -> std::uint64_t;

/// Reads every input in order and calls on_record for each record and on_bad
/// for each unreadable one (including a record over options.max_record_bytes). Inputs:
///  - "-": JSONL on standard input;
///  - a file ending .jsonl, .ndjson or .json: JSONL; with a further .gz: gzip-compressed JSONL;
///  - a file ending .txt: one article text file;
///  - a directory: walked recursively in sorted order, reading the files above by extension
///    and ignoring others.
/// Throws std::runtime_error if an input does not exist or cannot be opened.
void read_inputs(const std::vector<std::string>& inputs, const SourceOptions& options, const RecordSink& on_record,
                 const BadRecordSink& on_bad, const ProgressSink& on_progress = {});

}  // namespace broadsheet::indexer
