#pragma once
// The index root's contract, read by the server and written by the indexer:
// complete generations side by side, the live one named by CURRENT.
//
//   INDEX_ROOT/
//     CURRENT            "gen-000003\n": the live generation, and only ever
//                        replaced by rename, so a reader sees the old or the new name
//     gen-000002/        a retired generation, kept for a grace period
//     gen-000003/        the live Xapian database
//
// A generation's name is "gen-" and its number in at least six digits,
// exactly as generation_name() writes it. CURRENT holds one such name and a
// newline; a reader also accepts it without the newline or with surrounding
// ASCII whitespace (a hand-edited file), but nothing else: a path, "..", two
// names or an empty file name no generation.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace broadsheet::schema {

/// The file in an index root that names the live generation.
inline constexpr std::string_view current_file_name = "CURRENT";
/// What every generation's name starts with.
inline constexpr std::string_view generation_prefix = "gen-";
/// The longest generation name: "gen-" and 18 digits (any std::int64_t up to 10^18 - 1).
inline constexpr std::size_t max_generation_name_bytes = generation_prefix.size() + 18;

/// Raised when CURRENT exists but does not name a generation.
struct InvalidCurrentError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// "gen-000042" for 42. Throws std::invalid_argument below 1 or beyond 18 digits.
[[nodiscard]] auto generation_name(std::int64_t number) -> std::string;

/// 42 for "gen-000042"; nothing for any other text, "gen-42" and "gen-0000042" included
/// (so one number has one directory).
[[nodiscard]] auto generation_number(std::string_view name) -> std::optional<std::int64_t>;

/// The generation INDEX_ROOT/CURRENT names, or nothing when there is no CURRENT
/// (nothing published yet). Throws InvalidCurrentError saying why when it names no
/// generation, std::system_error when it cannot be read.
[[nodiscard]] auto read_current_generation(const std::filesystem::path& root) -> std::optional<std::string>;

/// Points INDEX_ROOT/CURRENT at `generation` durably: the new CURRENT is written and
/// synced beside the old one, renamed over it, and the root synced. Throws
/// std::invalid_argument if `generation` is no generation name.
/// Writes `content` to `tmp`, syncs it and renames it over `path`: a reader sees
/// the old file or the new one, never a part. Throws std::system_error.
void replace_file(const std::filesystem::path& path, std::string_view content, const std::filesystem::path& tmp);
void write_current_generation(const std::filesystem::path& root, std::string_view generation);

/// fsyncs a file or directory; throws std::system_error on failure.
void sync_path(const std::filesystem::path& path);

}  // namespace broadsheet::schema
