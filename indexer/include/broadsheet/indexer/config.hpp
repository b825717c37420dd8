#pragma once
// broadsheet-indexer's command line: the command and its options, from flags
// and BROADSHEET_* environment variables (flags win) over the defaults.

#include <string>
#include <vector>

#include "broadsheet/indexer/index_builder.hpp"

namespace broadsheet::indexer {

enum class Command {
    build,   ///< a new generation from the inputs, published atomically
    add,     ///< upsert into the live generation
    remove,  ///< delete ids from the live generation
};

struct IndexerConfig {
    Command command = Command::build;
    /// index_root, inputs and how to read them; `schema` stays empty (see schema_path)
    /// and `progress` false (the caller knows whether standard error is a terminal).
    BuildOptions options;
    std::string schema_path;       ///< build: a schema file instead of the built-in one
    std::vector<std::string> ids;  ///< delete: the articles to delete
    std::string log_level = "info";

    /// Throws std::invalid_argument naming the bad setting.
    void validate() const;
};

/// Reads the command line; sets `exit_code` to -1 to go on, or to the code to
/// exit with after --help or a bad command line (printed), as
/// schema::parse_command_line does for every Broadsheet binary.
[[nodiscard]] auto parse_config(int argc, const char* const* argv, int& exit_code) -> IndexerConfig;

}  // namespace broadsheet::indexer
