#pragma once
// The index root as its writer sees it. The names and CURRENT are the
// schema's contract (broadsheet/schema/generations.hpp); the writer adds
//
//   INDEX_ROOT/
//     .staging-gen-000004/  a build in progress (never read by the server)
//     .lock              held (flock) by whichever indexer command is writing

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "broadsheet/schema/generations.hpp"

namespace broadsheet::indexer {

namespace fs = std::filesystem;

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
    /// generation, never a mix.
    void publish(const std::string& generation, const fs::path& staging) const;
    /// Removes generations retired (replaced as CURRENT) longer than `grace` ago.
    /// Returns the names removed.
    [[nodiscard]] auto prune(std::chrono::seconds grace) const -> std::vector<std::string>;

private:
    fs::path m_root;
    int m_lock_fd = -1;
};

}  // namespace broadsheet::indexer
