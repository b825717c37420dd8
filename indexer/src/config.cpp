#include "broadsheet/indexer/config.hpp"

#include <stdexcept>

#include <CLI/CLI.hpp>

#include "broadsheet/schema/command_line.hpp"
#include "broadsheet/schema/shards.hpp"

namespace broadsheet::indexer {

void IndexerConfig::validate() const {
    if (options.index_root.empty()) throw std::invalid_argument("--index is required");
    if (command != Command::remove && options.inputs.empty()) throw std::invalid_argument("--input is required");
    if (command == Command::remove && ids.empty()) throw std::invalid_argument("delete needs at least one id");
    if (options.shards < 1 || options.shards > schema::max_shards)
        throw std::invalid_argument("--shards must be between 1 and " + std::to_string(schema::max_shards));
    schema::validate_log_level(log_level);
}

namespace {

// What build and add both read. Each command keeps its own copy: CLI11 applies
// BROADSHEET_* variables to the options of every command, the ones not given
// included, so options shared between commands would let a variable overwrite a flag.
struct InputFlags {
    std::string index_root;
    std::vector<std::string> inputs;
    bool skip_bad = false;
    std::size_t max_record_bytes = SourceOptions{}.max_record_bytes;
    bool no_spelling = false;
    bool ids_from_paths = false;

    void add_to(CLI::App& command) {
        command.add_option("--index", index_root, "index root directory")->envname("BROADSHEET_INDEX")->required();
        command.add_option("--input", inputs, "JSONL file (.gz ok), - for stdin, article .txt file, or a directory")
            ->required();
        command.add_flag("--skip-bad", skip_bad, "skip and count bad records instead of failing");
        command
            .add_option("--max-record-bytes", max_record_bytes,
                        "a JSONL line (after gunzip) or a text file longer than this is a bad record")
            ->envname("BROADSHEET_MAX_RECORD_BYTES")
            ->capture_default_str()
            ->check(CLI::PositiveNumber);
        command.add_flag("--no-spelling", no_spelling, "do not keep spelling data");
        command.add_flag("--ids-from-paths", ids_from_paths,
                         "text files: id is the path below the input directory, not the file name");
    }

    void apply_to(BuildOptions& options) const {
        options.index_root = index_root;
        options.inputs = inputs;
        options.skip_bad = skip_bad;
        options.source.max_record_bytes = max_record_bytes;
        options.spelling = !no_spelling;
        options.source.id_from_file_name = !ids_from_paths;
    }
};

}  // namespace

auto parse_config(int argc, const char* const* argv, int& exit_code) -> IndexerConfig {
    IndexerConfig config;
    auto& options = config.options;
    InputFlags build_inputs;
    InputFlags add_inputs;
    std::string delete_index_root;
    long prune_grace = options.prune_grace.count();

    CLI::App app{"broadsheet-indexer: turns article corpora into a Broadsheet (Xapian) index"};
    app.require_subcommand(1);
    app.fallthrough();  // --log-level also after the command
    schema::add_log_level_option(app, config.log_level);

    auto* build = app.add_subcommand("build", "build a new generation and publish it atomically");
    build_inputs.add_to(*build);
    build->add_option("--schema", config.schema_path, "schema file (default: the built-in articles schema)")
        ->envname("BROADSHEET_SCHEMA");
    build->add_option("--jobs", options.jobs, "writer threads (default: one per core)")
        ->envname("BROADSHEET_JOBS")
        ->check(CLI::Range(0, 64));
    build
        ->add_option("--shards", options.shards,
                     "shard databases in the generation, split by a hash of the article id (1: one database)")
        ->envname("BROADSHEET_SHARDS")
        ->capture_default_str()
        ->check(CLI::Range(std::uint32_t{1}, schema::max_shards));
    build->add_flag("--allow-empty", options.allow_empty, "publish even if no document was read");
    build->add_option("--prune-grace", prune_grace, "seconds a retired generation is kept")
        ->envname("BROADSHEET_PRUNE_GRACE")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);

    auto* add = app.add_subcommand("add", "upsert records by id into the live generation");
    add_inputs.add_to(*add);
    add->add_option("--commit-every", options.commit_every,
                    "documents per committed batch; a failed or killed add keeps the batches committed")
        ->envname("BROADSHEET_COMMIT_EVERY")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);

    auto* remove = app.add_subcommand("delete", "delete articles by id from the live generation");
    remove->add_option("--index", delete_index_root, "index root directory")->envname("BROADSHEET_INDEX")->required();
    remove->add_option("ids", config.ids, "article ids")->required();

    exit_code = schema::parse_command_line(app, argc, argv, [&] {
        if (*build) {
            config.command = Command::build;
            build_inputs.apply_to(options);
        } else if (*add) {
            config.command = Command::add;
            add_inputs.apply_to(options);
        } else {
            config.command = Command::remove;
            options.index_root = delete_index_root;
        }
        options.prune_grace = std::chrono::seconds(prune_grace);
        config.validate();
    });
    return config;
}

}  // namespace broadsheet::indexer
