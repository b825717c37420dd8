// broadsheet-indexer: build, add to and delete from a Broadsheet index.
#include <csignal>
#include <iostream>

#include <spdlog/spdlog.h>
#include <unistd.h>
#include <xapian.h>

#include "broadsheet/indexer/config.hpp"
#include "broadsheet/indexer/index_builder.hpp"
#include "broadsheet/schema/command_line.hpp"

namespace bi = broadsheet::indexer;

int main(int argc, char** argv) try {
    int exit_code = -1;
    auto config = bi::parse_config(argc, argv, exit_code);
    if (exit_code >= 0) return exit_code;
    // Past a file-size limit (ulimit -f, systemd LimitFSIZE) a write then fails
    // with EFBIG and ends in a message, like a full disk, instead of killing us silently.
    std::signal(SIGXFSZ, SIG_IGN);
    broadsheet::schema::log_to_stderr("indexer", config.log_level);

    auto& options = config.options;
    options.progress = ::isatty(STDERR_FILENO) != 0;
    if (!config.schema_path.empty()) options.schema = broadsheet::schema::Schema::load_file(config.schema_path);

    switch (config.command) {
        case bi::Command::build: std::cout << bi::format_summary(bi::build_index(options)) << std::endl; return 0;
        case bi::Command::add: std::cout << bi::format_summary(bi::add_documents(options)) << std::endl; return 0;
        case bi::Command::remove: {
            auto summary = bi::delete_documents(options.index_root, config.ids);
            for (const auto& id : summary.not_found) spdlog::warn("not found: {}", id);
            std::cout << "deleted " << summary.deleted.size() << " documents, " << summary.not_found.size()
                      << " not found (" << summary.generation << ")" << std::endl;
            return summary.deleted.empty() && !summary.not_found.empty() ? 1 : 0;
        }
    }
    return 0;
} catch (const Xapian::DatabaseLockError& e) {
    // The one place errors become messages: a line that says what failed and
    // exit status 1, never an abort (Xapian's errors are not std::exceptions).
    spdlog::error("the index is locked by another writer; retry when it has finished ({})", e.get_description());
    return 1;
} catch (const Xapian::Error& e) {
    spdlog::error("index error: {}", e.get_description());
    return 1;
} catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
} catch (...) {
    spdlog::error("unexpected error of unknown type");
    return 1;
}
