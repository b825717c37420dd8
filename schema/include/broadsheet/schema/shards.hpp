#pragma once
// A generation split into shards, as the indexer writes it and every reader
// (server, shard nodes, replication) finds it. An unsharded generation is
// itself the Xapian database (generations.hpp); a sharded one holds
//
//   gen-000007/
//     shards.json   the manifest: shard count, hash, names, documents per shard
//     front/        a Xapian database without documents: the stored schema and
//                   build metadata, the spelling table and the synonyms of the
//                   whole collection (what the 1.4 remote backend cannot serve)
//     shard-00/     a Xapian database: the articles whose id hashes to shard 0,
//     shard-01/     with the stored schema and its own shard number as metadata
//     ...
//
// An article belongs to shard fnv1a_64(id) mod count, the id taken as its
// UTF-8 bytes (the exact string stored as the id), so every machine and every
// build puts an id in the same shard; changing the count means a rebuild.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace broadsheet::schema {

/// The manifest file in a sharded generation; its absence means unsharded.
inline constexpr std::string_view shard_manifest_name = "shards.json";
/// The database in a sharded generation that holds no documents (see above).
inline constexpr std::string_view front_database_name = "front";
/// The hash the manifest names (the only one there is).
inline constexpr std::string_view shard_hash_name = "fnv1a-64";
/// The most shards a generation can have.
inline constexpr std::uint32_t max_shards = 1000;

/// Metadata keys in the databases of a sharded generation.
namespace shard_metadata {
/// In front/ and every shard: the shard count ("3").
inline constexpr const char* count = "broadsheet.shards";
/// In each shard: its number, from 0 ("1").
inline constexpr const char* index = "broadsheet.shard";
}  // namespace shard_metadata

/// Raised when a generation's shards.json is unreadable or inconsistent.
struct InvalidShardManifestError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// 64-bit FNV-1a of the bytes (offset basis 14695981039346656037, prime 1099511628211).
[[nodiscard]] constexpr auto fnv1a_64(std::string_view bytes) noexcept -> std::uint64_t {
    std::uint64_t hash = 14695981039346656037ULL;
    for (const char c : bytes) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ULL;
    }
    return hash;
}

/// The shard (0 .. count-1) the article with this id belongs to. Throws
/// std::invalid_argument when count is 0 or above max_shards.
[[nodiscard]] auto shard_of(std::string_view id, std::uint32_t count) -> std::uint32_t;

/// "shard-00" for 0, "shard-123" for 123. Throws std::invalid_argument at max_shards or beyond.
[[nodiscard]] auto shard_name(std::uint32_t index) -> std::string;

/// What shards.json says about a sharded generation.
struct ShardManifest {
    std::string generation;                ///< "gen-000007"
    std::uint32_t count = 0;               ///< number of shards, at least 2
    std::vector<std::uint64_t> documents;  ///< documents per shard when built (add/delete change them)

    /// The shard database directories, in shard order, under `generation_dir`.
    [[nodiscard]] auto shard_paths(const std::filesystem::path& generation_dir) const
        -> std::vector<std::filesystem::path>;
    [[nodiscard]] auto to_json() const -> std::string;
    /// Throws InvalidShardManifestError saying what is wrong.
    [[nodiscard]] static auto from_json(std::string_view text) -> ShardManifest;
};

/// The manifest of the generation in `generation_dir`, or nothing when it is
/// unsharded (no shards.json). Throws InvalidShardManifestError when the file
/// is there but wrong, std::system_error when it cannot be read.
[[nodiscard]] auto read_shard_manifest(const std::filesystem::path& generation_dir) -> std::optional<ShardManifest>;

/// Writes `generation_dir`/shards.json and syncs it (the directory is synced by the publisher).
void write_shard_manifest(const std::filesystem::path& generation_dir, const ShardManifest& manifest);

}  // namespace broadsheet::schema
