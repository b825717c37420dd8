// broadsheet-indexer: build, add to and delete from a Broadsheet index.
#include <csignal>
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <xapian.h>

#include "broadsheet/indexer/index_builder.hpp"

namespace bi = broadsheet::indexer;

int main(int argc, char** argv) try {
    CLI::App app{"broadsheet-indexer: turns article corpora into a Broadsheet (Xapian) index"};
    app.require_subcommand(1);
    std::string log_level = "info";
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
        ->envname("BROADSHEET_LOG_LEVEL");

    bi::BuildOptions options;
    std::string index_root;
    std::string schema_path;
    bool no_spelling = false;
    bool ids_from_paths = false;
    long prune_grace = 300;
    auto add_input_options = [&](CLI::App* command) {
        command->add_option("--index", index_root, "index root directory")
            ->envname("BROADSHEET_INDEX")->required();
        command->add_option("--input", options.inputs,
                            "JSONL file (.gz ok), - for stdin, article .txt file, or a directory")
            ->required();
        command->add_flag("--skip-bad", options.skip_bad, "skip and count bad records instead of failing");
        command->add_option("--max-record-bytes", options.source.max_record_bytes,
                            "a JSONL line (after gunzip) or a text file longer than this is a bad record")
            ->envname("BROADSHEET_MAX_RECORD_BYTES")
            ->capture_default_str()
            ->check(CLI::PositiveNumber);
        command->add_flag("--no-spelling", no_spelling, "do not keep spelling data");
        command->add_flag("--ids-from-paths", ids_from_paths,
                          "text files: id is the path below the input directory, not the file name");
    };

    auto* build = app.add_subcommand("build", "build a new generation and publish it atomically");
    add_input_options(build);
    build->add_option("--schema", schema_path, "schema file (default: the built-in articles schema)")
        ->envname("BROADSHEET_SCHEMA");
    build->add_option("--jobs", options.jobs, "writer threads (default: one per core)")
        ->envname("BROADSHEET_JOBS")->check(CLI::Range(0, 64));
    build->add_flag("--allow-empty", options.allow_empty, "publish even if no document was read");
    build->add_option("--prune-grace", prune_grace, "seconds a retired generation is kept")
        ->envname("BROADSHEET_PRUNE_GRACE")->check(CLI::NonNegativeNumber);

    auto* add = app.add_subcommand("add", "upsert records by id into the live generation");
    add_input_options(add);
    add->add_option("--commit-every", options.commit_every,
                    "documents per committed batch; a failed or killed add keeps the batches committed")
        ->envname("BROADSHEET_COMMIT_EVERY")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);

    std::vector<std::string> ids;
    auto* remove = app.add_subcommand("delete", "delete articles by id from the live generation");
    remove->add_option("--index", index_root, "index root directory")->envname("BROADSHEET_INDEX")->required();
    remove->add_option("ids", ids, "article ids")->required();

    CLI11_PARSE(app, argc, argv);
    // Past a file-size limit (ulimit -f, systemd LimitFSIZE) a write then fails
    // with EFBIG and ends in a message, like a full disk, instead of killing us silently.
    std::signal(SIGXFSZ, SIG_IGN);
    spdlog::set_default_logger(spdlog::stderr_color_mt("indexer"));
    spdlog::set_level(spdlog::level::from_str(log_level));

    options.index_root = index_root;
    options.spelling = !no_spelling;
    options.source.id_from_file_name = !ids_from_paths;
    options.progress = ::isatty(STDERR_FILENO) != 0;
    options.prune_grace = std::chrono::seconds(prune_grace);
    if (!schema_path.empty()) options.schema = broadsheet::schema::Schema::load_file(schema_path);

    if (*build) {
        std::cout << bi::format_summary(bi::build_index(options)) << std::endl;
    } else if (*add) {
        std::cout << bi::format_summary(bi::add_documents(options)) << std::endl;
    } else if (*remove) {
        auto summary = bi::delete_documents(index_root, ids);
        for (const auto& id : summary.not_found) spdlog::warn("not found: {}", id);
        std::cout << "deleted " << summary.deleted.size() << " documents, " << summary.not_found.size()
                  << " not found (" << summary.generation << ")" << std::endl;
        return summary.deleted.empty() && !summary.not_found.empty() ? 1 : 0;
    }
    return 0;
} catch (const Xapian::DatabaseLockError& e) {
    // The one place errors become messages: a line that says what failed and
    // exit status 1, never an abort (Xapian's errors are not std::exceptions).
    spdlog::error("the index is locked by another writer; retry when it has finished ({})",
                  e.get_description());
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
