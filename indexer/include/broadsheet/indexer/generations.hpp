#pragma once
// The index root as its writer sees it. The names and CURRENT are the
// schema's contract (broadsheet/schema/generations.hpp); the writer adds
//
//   INDEX_ROOT/
//     .staging-gen-000004/  a build in progress (never read by the server)
//     .lock              held (flock) by whichever indexer command is writing
//     masters/           stable names of the live generation's databases, for
//                        xapian-replicate-server: Xapian stub files, each
//                        "auto ../gen-000007/shard-01" (relative to masters/)
//       front, shard-00, shard-01, ...   a sharded generation's databases
//       index                            an unsharded generation

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broadsheet/schema/generations.hpp"

namespace broadsheet::indexer {

namespace fs = std::filesystem;

/// The directory below an index root that xapian-replicate-server serves.
inline constexpr std::string_view masters_directory_name = "masters";
/// The master name of an unsharded generation (a sharded one's are its database names).
inline constexpr std::string_view unsharded_master_name = "index";

/// A stable master name and the database it names.
struct Master {
    std::string name;   ///< "shard-01", "front" or "index"
    fs::path database;  ///< the database directory in a generation
};

/// The masters of the generation in `generation_dir`: front and each shard of a
/// sharded generation, "index" of an unsharded one. Throws like read_shard_manifest.
[[nodiscard]] auto masters_of(const fs::path& generation_dir) -> std::vector<Master>;

using schema::read_current_generation;
using schema::sync_path;

class IndexRoot {
public:
    /// Creates the root directory if needed and takes its writer lock
    /// (waits for another indexer command to finish).
    explicit IndexRoot(fs::path root);
    ~IndexRoot();
    IndexRoot(const IndexRoot&) = delete;
    auto operator=(const IndexRoot&) -> IndexRoot& = delete;

    [[nodiscard]] auto root() const -> const fs::path& { return m_root; }
    /// The live generation, nothing before the first build; throws
    /// schema::InvalidCurrentError when CURRENT names no generation.
    [[nodiscard]] auto current() const -> std::optional<std::string>;
    [[nodiscard]] auto path_of(const std::string& generation) const -> fs::path;
    /// Published generations, oldest first.
    [[nodiscard]] auto generations() const -> std::vector<std::string>;

    /// The name the next build will publish under (a CURRENT that names no
    /// generation is left for the build to replace).
    [[nodiscard]] auto next_generation() const -> std::string;
    /// A fresh staging directory for `generation`, removing leftovers of
    /// builds that died (safe: we hold the lock, so nobody else is building).
    [[nodiscard]] auto prepare_staging(const std::string& generation) const -> fs::path;
    /// Moves a complete, verified staging directory into place and points
    /// CURRENT at it, durably, by rename: readers see the old or the new
    /// generation, never a mix. Then points the masters at it.
    void publish(const std::string& generation, const fs::path& staging) const;
    /// Points every master stub at `generation`'s databases, each replaced by
    /// rename (only when it names something else), and removes the stubs of
    /// databases the generation lacks (a shard count that shrank).
    void point_masters_at(const std::string& generation) const;
    /// The generations the master stubs name (normally only the live one).
    [[nodiscard]] auto master_generations() const -> std::vector<std::string>;
    /// Removes generations retired (replaced as CURRENT) longer than `grace` ago,
    /// except one a master stub still names. Returns the names removed.
    [[nodiscard]] auto prune(std::chrono::seconds grace) const -> std::vector<std::string>;

private:
    fs::path m_root;
    int m_lock_fd = -1;
};

}  // namespace broadsheet::indexer
