#pragma once
// build, add and delete: the indexer's three commands as a library.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "broadsheet/indexer/record_source.hpp"
#include "broadsheet/schema/schema.hpp"

namespace broadsheet::indexer {

namespace fs = std::filesystem;

/// A build or update that failed; nothing it wrote was published.
struct BuildError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct BuildOptions {
    fs::path index_root;
    std::vector<std::string> inputs;
    /// The schema for a new generation; add uses the one stored in the index.
    std::optional<schema::Schema> schema;
    SourceOptions source;
    bool skip_bad = false;     ///< skip and count bad records instead of failing
    bool allow_empty = false;  ///< publish a generation with no documents
    bool spelling = true;      ///< keep spelling data for "did you mean"
    bool progress = false;     ///< draw a progress bar on standard error
    unsigned jobs = 0;         ///< build: writer threads; 0 = one per core
    /// build: the shard databases of the new generation, split by the id's
    /// shard hash (broadsheet/schema/shards.hpp); 1 = the generation is one database
    std::uint32_t shards = 1;
    /// build: article text (bytes) a writer takes in between commits of its
    /// databases (about 1,000 news articles); bounds the memory Xapian's inverter
    /// holds whatever the corpus size or shard count, and small commits cost less CPU too.
    std::uint64_t flush_bytes = std::uint64_t{1} << 20;
    /// build: stored record bytes, from the first records, to train the
    /// generation's record dictionary on (schema::RecordDictionary); 0 = none
    std::uint64_t dictionary_sample_bytes = std::uint64_t{4} << 20;
    std::uint64_t commit_every = 10000;     ///< add: documents per committed batch
    std::chrono::seconds prune_grace{300};  ///< how long retired generations are kept
};

struct BuildSummary {
    std::string generation;
    fs::path path;
    std::uint64_t documents = 0;                 ///< records written (an upsert counts once)
    std::uint64_t total_documents = 0;           ///< documents in the index afterwards
    std::uint32_t shards = 1;                    ///< shard databases in the generation
    std::vector<std::uint64_t> shard_documents;  ///< build: documents per shard
    std::uint64_t bad_records = 0;
    std::uint64_t input_bytes = 0;
    std::uint64_t index_bytes = 0;
    double seconds = 0;
};

/// Builds a complete new generation from the inputs, verifies it and
/// publishes it. On any failure the live generation is untouched.
[[nodiscard]] auto build_index(const BuildOptions& options) -> BuildSummary;

/// Upserts records (by id) into the live generation (into each id's shard
/// when it is sharded), committing every
/// options.commit_every documents: a failed or killed add leaves the
/// batches committed before it (running it again is safe).
[[nodiscard]] auto add_documents(const BuildOptions& options) -> BuildSummary;

struct DeleteSummary {
    std::string generation;
    std::vector<std::string> deleted;
    std::vector<std::string> not_found;
};

/// Deletes documents by id from the live generation (from each id's shard
/// when it is sharded), in one commit per database.
[[nodiscard]] auto delete_documents(const fs::path& index_root, const std::vector<std::string>& ids) -> DeleteSummary;

/// "indexed 21577 documents (0 bad) in 9.1 s: 2371 documents/s, 2.6 MB/s; index 61.2 MB (gen-000002)"
[[nodiscard]] auto format_summary(const BuildSummary& summary) -> std::string;

/// Total size of the files under a directory.
[[nodiscard]] auto directory_bytes(const fs::path& dir) -> std::uint64_t;

}  // namespace broadsheet::indexer
