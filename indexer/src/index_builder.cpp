#include "broadsheet/indexer/index_builder.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <spdlog/spdlog.h>
#include <xapian.h>

#include "broadsheet/indexer/generations.hpp"
#include "broadsheet/indexer/progress.hpp"
#include "broadsheet/schema/document.hpp"

namespace broadsheet::indexer {

namespace {

using Clock = std::chrono::steady_clock;

// Bad records are listed one by one up to this many; the rest are only counted.
constexpr std::uint64_t max_bad_records_logged = 20;
// Xapian 1.4 refuses a document holding a term longer than this, and drops
// every change not yet committed along with it; so such a record is refused
// first. Words in text are safe: the TermGenerator skips words over 64 bytes.
constexpr std::size_t max_term_bytes = 245;

void check_term_length(const std::string& term, const schema::FieldSpec& field) {
    if (term.size() <= max_term_bytes) return;
    throw schema::RecordError(
        "field '" + field.name + "': a value of " + std::to_string(term.size() - field.prefix.size()) +
        " bytes is too long to index (at most " + std::to_string(max_term_bytes - field.prefix.size()) + " bytes)");
}

// The exact-value terms an article makes (ids, tags): the only ones whose
// length the input decides.
void check_term_lengths(const schema::Schema& schema, const nlohmann::json& article) {
    for (const auto& field : schema.fields()) {
        const auto value = article.find(field.name);
        if (value == article.end() || value->is_null()) continue;
        if (field.type == schema::FieldType::id) {
            check_term_length(schema.id_term(value->get_ref<const std::string&>()), field);
        } else if (field.type == schema::FieldType::keyword && !field.prefix.empty()) {
            if (value->is_array()) {
                for (const auto& item : *value)
                    check_term_length(schema.keyword_term(field, item.get_ref<const std::string&>()), field);
            } else {
                check_term_length(schema.keyword_term(field, value->get_ref<const std::string&>()), field);
            }
        }
    }
}

auto now_iso() -> std::string {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buffer;
}

auto load_stored_schema(const Xapian::Database& db, const fs::path& path) -> schema::Schema {
    auto text = db.get_metadata(schema::metadata::schema);
    if (text.empty()) throw BuildError(path.string() + " has no stored schema: not a Broadsheet index");
    return schema::Schema::from_string(text);
}

// Reads every input, validates each record against the schema and hands the
// articles on; bad records fail the build or, with skip_bad, are counted.
class ArticleReader {
public:
    ArticleReader(const BuildOptions& options, const schema::Schema& schema) : m_options(options), m_schema(schema) {}

    /// Calls sink(id, article, origin) for each good record, in input order.
    template <typename Sink>
    void run(BuildSummary& summary, Sink&& sink) {
        summary.input_bytes = total_input_bytes(m_options.inputs);
        ProgressBar progress(summary.input_bytes, m_options.progress);
        std::uint64_t bytes_seen = 0;
        const auto& id_name = m_schema.id_field().name;
        // Text files' parts go to the fields the schema gives those roles.
        auto source = m_options.source;
        source.text_fields = text_fields(m_schema);
        read_inputs(
            m_options.inputs, source,
            [&](RawRecord&& record) {
                try {
                    auto article = schema::normalize_record(m_schema, record.value);
                    check_term_lengths(m_schema, article);
                    auto id = article[id_name].get<std::string>();
                    sink(std::move(id), std::move(article), record.origin);
                    ++summary.documents;
                } catch (const schema::RecordError& e) {
                    bad(summary, record.origin, e.what());
                }
                progress.update(bytes_seen, summary.documents);
            },
            [&](BadRecord&& record) { bad(summary, record.origin, record.reason); },
            [&](std::uint64_t bytes) {
                bytes_seen = bytes;
                progress.update(bytes_seen, summary.documents);
            });
        progress.finish();
        if (summary.input_bytes == 0) summary.input_bytes = bytes_seen;  // stdin
    }

private:
    void bad(BuildSummary& summary, const std::string& origin, const std::string& reason) {
        if (!m_options.skip_bad) throw BuildError(origin + ": " + reason + " (--skip-bad skips bad records)");
        ++summary.bad_records;
        if (summary.bad_records <= max_bad_records_logged) {
            spdlog::warn("skipping bad record {}: {}", origin, reason);
        } else if (summary.bad_records == max_bad_records_logged + 1) {
            spdlog::warn("more bad records: only counting them from now on");
        }
    }

    const BuildOptions& m_options;
    const schema::Schema& m_schema;
};

// The schema's stemmer with a memory: an article repeats its words, and a
// corpus its vocabulary, so most words are stemmed once per writer rather
// than once per occurrence (the stemmer was a sixth of the indexing work).
class CachedStem final : public Xapian::StemImplementation {
public:
    explicit CachedStem(Xapian::Stem stemmer) : m_stemmer(std::move(stemmer)) {}

    auto operator()(const std::string& word) -> std::string override {
        if (auto found = m_stems.find(word); found != m_stems.end()) return found->second;
        // Bounded: a corpus of rare words (ids, numbers) starts afresh.
        if (m_stems.size() >= max_words) m_stems.clear();
        return m_stems.emplace(word, m_stemmer(word)).first->second;
    }

    [[nodiscard]] auto get_description() const -> std::string override {
        return "CachedStem(" + m_stemmer.get_description() + ")";
    }

private:
    static constexpr std::size_t max_words = 1U << 18;
    Xapian::Stem m_stemmer;
    std::unordered_map<std::string, std::string> m_stems;
};

// Turns articles into documents in one database.
class DocumentWriter {
public:
    /// `fresh`: the database started empty, so an id not yet written here cannot be in it.
    DocumentWriter(const BuildOptions& options, const schema::Schema& schema, Xapian::WritableDatabase& db, bool fresh)
        : m_schema(schema), m_db(db), m_fresh(fresh), m_spelling(options.spelling) {
        schema.configure(m_generator);
        // "none" stays the no-op stemmer Xapian recognises (no stemmed terms at all).
        if (auto stemmer = schema.stemmer(); !stemmer.is_none())
            m_generator.set_stemmer(Xapian::Stem(new CachedStem(std::move(stemmer))));
    }

    /// Throws BuildError naming `origin` if Xapian refuses the record's document.
    void write(const std::string& id, const nlohmann::json& article, const std::string& origin) {
        try {
            add_or_replace(id, article);
        } catch (const Xapian::InvalidArgumentError& e) {
            // A record Xapian cannot take; it has already dropped the uncommitted
            // changes with it, so the run cannot go on without them.
            throw BuildError(origin + ": cannot index this record: " + e.get_description());
        }
    }

    /// Adds the spelling data counted since the last call: once per word,
    /// where the TermGenerator's FLAG_SPELLING adds it once per occurrence.
    /// Call it before each commit.
    void add_spelling() {
        for (const auto& [word, count] : m_words) m_db.add_spelling(word, count);
        m_words.clear();
    }

    /// Commits what was written; the spelling data counted so far goes in
    /// with the last commit, or sooner once it holds many words, so a
    /// common word's spelling entries are not rewritten at every commit.
    void commit(bool last) {
        if (last || m_words.size() >= max_pending_words) add_spelling();
        // Explicitly commit so that we get to see any errors (a full disk, say).
        m_db.commit();
        m_text_bytes = 0;
    }

    /// Bytes of article text written since the last commit().
    [[nodiscard]] auto text_bytes() const -> std::uint64_t { return m_text_bytes; }

    [[nodiscard]] auto distinct_ids() const -> std::uint64_t { return m_ids.size(); }

private:
    // About 40 MB of counted words.
    static constexpr std::size_t max_pending_words = std::size_t{1} << 19;

    void add_or_replace(const std::string& id, const nlohmann::json& article) {
        for (const auto& field : m_schema.fields()) {
            if (!field.is_text()) continue;
            if (auto text = article.find(field.name); text != article.end() && text->is_string())
                m_text_bytes += text->get_ref<const std::string&>().size();
        }
        auto doc = schema::make_document(m_schema, article, m_generator, m_spelling ? &m_words : nullptr);
        // Upsert by id; in a fresh database only an id seen before needs the lookup.
        if (m_fresh && m_ids.insert(id).second) {
            m_db.add_document(doc);
        } else {
            m_db.replace_document(m_schema.id_term(id), doc);
            m_ids.insert(id);
        }
    }

    const schema::Schema& m_schema;
    Xapian::WritableDatabase& m_db;
    bool m_fresh;
    bool m_spelling;
    Xapian::TermGenerator m_generator;
    schema::WordCounts m_words;
    std::uint64_t m_text_bytes = 0;
    std::unordered_set<std::string> m_ids;
};

// A build split over worker threads, each writing its own shard database;
// the shards are merged when the generation is compacted. Articles go to a
// shard by a hash of their id, so a repeated id replaces within one shard.
class ShardedBuild {
public:
    ShardedBuild(const BuildOptions& options, const schema::Schema& schema, const fs::path& scratch, unsigned shards)
        : m_flush_bytes(std::max<std::uint64_t>(options.flush_bytes, 1)) {
        for (unsigned i = 0; i < shards; ++i) {
            auto shard = std::make_unique<Shard>();
            shard->path = scratch / ("shard-" + std::to_string(i));
            // No fsync per commit: the compacted generation is synced once, before publishing.
            shard->db = Xapian::WritableDatabase(shard->path.string(),
                                                 Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_NO_SYNC);
            shard->writer = std::make_unique<DocumentWriter>(options, schema, shard->db, true);
            m_shards.push_back(std::move(shard));
        }
        try {
            for (auto& shard : m_shards) shard->thread = std::thread([this, s = shard.get()] { work(*s); });
        } catch (...) {
            stop();  // a running thread must be joined before it is destroyed
            throw;
        }
    }

    ~ShardedBuild() { stop(); }

    void add(std::string id, nlohmann::json article, std::string origin) {
        auto& shard = *m_shards[std::hash<std::string>{}(id) % m_shards.size()];
        shard.pending.push_back(Pending{std::move(id), std::move(article), std::move(origin)});
        if (shard.pending.size() >= batch_size) hand_over(shard);
    }

    /// Waits for the workers to commit every shard and returns their paths.
    auto finish() -> std::vector<fs::path> {
        for (auto& shard : m_shards) hand_over(*shard);
        m_committing = true;
        stop();
        std::vector<fs::path> paths;
        for (auto& shard : m_shards) {
            if (shard->error) std::rethrow_exception(shard->error);
            m_distinct += shard->writer->distinct_ids();
            shard->db.close();
            paths.push_back(shard->path);
        }
        return paths;
    }

    [[nodiscard]] auto distinct_ids() const -> std::uint64_t { return m_distinct; }

private:
    struct Pending {
        std::string id;
        nlohmann::json article;
        std::string origin;  ///< "file:line", for an error about this record
    };
    using Batch = std::vector<Pending>;
    static constexpr std::size_t batch_size = 64;
    static constexpr std::size_t max_queued_batches = 8;  // bounds memory when writers lag

    struct Shard {
        fs::path path;
        Xapian::WritableDatabase db;
        std::unique_ptr<DocumentWriter> writer;
        Batch pending;
        std::deque<Batch> queue;
        std::mutex mutex;
        std::condition_variable changed;
        bool closing = false;
        std::exception_ptr error;
        std::thread thread;
    };

    void hand_over(Shard& shard) {
        if (shard.pending.empty()) return;
        std::unique_lock lock(shard.mutex);
        shard.changed.wait(lock, [&] { return shard.queue.size() < max_queued_batches || shard.error; });
        if (shard.error) std::rethrow_exception(shard.error);
        shard.queue.push_back(std::move(shard.pending));
        shard.pending = {};
        shard.changed.notify_all();
    }

    void work(Shard& shard) {
        while (true) {
            Batch batch;
            {
                std::unique_lock lock(shard.mutex);
                shard.changed.wait(lock, [&] { return !shard.queue.empty() || shard.closing; });
                if (shard.queue.empty()) break;
                batch = std::move(shard.queue.front());
                shard.queue.pop_front();
                shard.changed.notify_all();
            }
            try {
                for (const auto& pending : batch) {
                    shard.writer->write(pending.id, pending.article, pending.origin);
                    // Small commits are cheaper as well as smaller: Xapian's
                    // inverter slows down as its maps grow.
                    if (shard.writer->text_bytes() >= m_flush_bytes) shard.writer->commit(false);
                }
            } catch (...) {
                std::lock_guard lock(shard.mutex);
                shard.error = std::current_exception();
                shard.queue.clear();
                shard.changed.notify_all();
                return;
            }
        }
        if (!m_committing) return;  // abandoned: the scratch shards are removed
        try {
            // Each worker commits its own shard, so the final flushes run side by side.
            shard.writer->commit(true);
        } catch (...) {
            std::lock_guard lock(shard.mutex);
            shard.error = std::current_exception();
        }
    }

    void stop() {
        for (auto& shard : m_shards) {
            {
                std::lock_guard lock(shard->mutex);
                shard->closing = true;
            }
            shard->changed.notify_all();
        }
        for (auto& shard : m_shards)
            if (shard->thread.joinable()) shard->thread.join();
    }

    std::uint64_t m_flush_bytes;
    std::vector<std::unique_ptr<Shard>> m_shards;
    std::atomic<bool> m_committing = false;  ///< set by finish(): workers commit their shard on closing
    std::uint64_t m_distinct = 0;
};

// Reopens the finished generation read-only and checks it holds what was written.
void verify_generation(const fs::path& path, const schema::Schema& schema, std::uint64_t expected_docs) {
    Xapian::Database db(path.string());
    if (db.get_doccount() != expected_docs)
        throw BuildError("verification failed: expected " + std::to_string(expected_docs) +
                         " documents, the new index holds " + std::to_string(db.get_doccount()));
    if (load_stored_schema(db, path).to_string() != schema.to_string())
        throw BuildError("verification failed: the stored schema does not read back identically");
}

// Every file Xapian wrote, and the directory itself, on disk before publishing.
void sync_directory(const fs::path& dir) {
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_regular_file()) sync_path(entry.path());
    sync_path(dir);
}

// One writer per core: parsing is cheap next to term generation and Xapian's
// inverter, which is what the shards spread out.
auto default_jobs() -> unsigned { return std::clamp(std::thread::hardware_concurrency(), 1u, 8u); }

}  // namespace

auto directory_bytes(const fs::path& dir) -> std::uint64_t {
    std::uint64_t total = 0;
    std::error_code ec;
    for (const auto& entry : fs::recursive_directory_iterator(dir, ec))
        if (entry.is_regular_file(ec)) total += entry.file_size(ec);
    return total;
}

auto build_index(const BuildOptions& options) -> BuildSummary {
    auto start = Clock::now();
    const auto schema = options.schema ? *options.schema : schema::Schema::default_schema();
    IndexRoot root(options.index_root);
    BuildSummary summary;
    summary.generation = root.next_generation();
    auto staging = root.prepare_staging(summary.generation);
    // Documents go into scratch shard databases first, which are then merged
    // and compacted into the staging directory: half the size, faster to search.
    auto scratch = fs::path(staging.string() + ".raw");
    try {
        fs::create_directories(scratch);
        std::uint64_t distinct = 0;
        std::vector<fs::path> shard_paths;
        {
            ShardedBuild shards(options, schema, scratch, options.jobs > 0 ? options.jobs : default_jobs());
            ArticleReader(options, schema)
                .run(summary, [&](std::string id, nlohmann::json article, const std::string& origin) {
                    shards.add(std::move(id), std::move(article), origin);
                });
            shard_paths = shards.finish();
            distinct = shards.distinct_ids();
        }
        if (distinct == 0 && !options.allow_empty)
            throw BuildError("no documents in the input: nothing published (--allow-empty publishes an empty index)");
        {
            // The metadata and synonyms go into the first shard; compaction carries them over.
            Xapian::WritableDatabase first(shard_paths.front().string(), Xapian::DB_OPEN | Xapian::DB_NO_SYNC);
            schema.synonyms().write_to(first, schema.stemmer(), schema.stopper());
            schema::write_stopword_keys(first, schema.stopwords(), schema.stemmer());
            first.set_metadata(schema::metadata::schema, schema.to_string());
            first.set_metadata(schema::metadata::built_at, now_iso());
            first.set_metadata(schema::metadata::generation, summary.generation);
            first.commit();
        }
        Xapian::Database merged;
        for (const auto& path : shard_paths) merged.add_database(Xapian::Database(path.string()));
        fs::remove(staging);  // compact() creates it
        merged.compact(staging.string(), Xapian::Compactor::FULL);
        merged.close();
        fs::remove_all(scratch);
        verify_generation(staging, schema, distinct);
        sync_directory(staging);
        root.publish(summary.generation, staging);
        summary.total_documents = distinct;
    } catch (...) {
        std::error_code ignored;
        fs::remove_all(scratch, ignored);
        fs::remove_all(staging, ignored);
        throw;
    }
    summary.path = root.path_of(summary.generation);
    summary.index_bytes = directory_bytes(summary.path);
    for (const auto& removed : root.prune(options.prune_grace)) spdlog::info("pruned retired generation {}", removed);
    summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return summary;
}

auto add_documents(const BuildOptions& options) -> BuildSummary {
    auto start = Clock::now();
    IndexRoot root(options.index_root);
    auto live = root.current();
    if (!live) throw BuildError("no published index at " + options.index_root.string() + ": run build first");
    BuildSummary summary;
    summary.generation = *live;
    summary.path = root.path_of(*live);
    Xapian::WritableDatabase db(summary.path.string(), Xapian::DB_OPEN);
    // The generation keeps the schema it was built with, whatever --schema says now.
    auto schema = load_stored_schema(db, summary.path);
    // Batches of options.commit_every documents, each one transaction: memory
    // stays bounded, readers see whole batches only, and an add that fails or
    // is killed leaves the live generation at its last committed batch (upserts
    // by id, so running the same add again is safe).
    const auto batch_size = std::max<std::uint64_t>(options.commit_every, 1);
    std::uint64_t in_batch = 0;
    bool in_transaction = false;
    try {
        db.begin_transaction();
        in_transaction = true;
        DocumentWriter writer(options, schema, db, false);
        ArticleReader(options, schema)
            .run(summary, [&](const std::string& id, const nlohmann::json& article, const std::string& origin) {
                writer.write(id, article, origin);
                if (++in_batch < batch_size) return;
                writer.add_spelling();
                in_transaction = false;  // a failed commit ends the transaction too
                db.commit_transaction();
                db.begin_transaction();
                in_transaction = true;
                in_batch = 0;
            });
        writer.add_spelling();
        in_transaction = false;
        db.commit_transaction();
    } catch (...) {
        if (in_transaction) {
            try {
                db.cancel_transaction();
            } catch (...) {
                // The first error is the one to report; the batch is lost either way.
            }
        }
        throw;
    }
    summary.total_documents = db.get_doccount();
    summary.index_bytes = directory_bytes(summary.path);
    summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return summary;
}

auto delete_documents(const fs::path& index_root, const std::vector<std::string>& ids) -> DeleteSummary {
    IndexRoot root(index_root);
    auto live = root.current();
    if (!live) throw BuildError("no published index at " + index_root.string() + ": run build first");
    DeleteSummary summary;
    summary.generation = *live;
    Xapian::WritableDatabase db(root.path_of(*live).string(), Xapian::DB_OPEN);
    auto schema = load_stored_schema(db, root.path_of(*live));
    for (const auto& id : ids) {
        auto term = schema.id_term(id);
        if (db.term_exists(term)) {
            db.delete_document(term);
            summary.deleted.push_back(id);
        } else {
            summary.not_found.push_back(id);
        }
    }
    db.commit();
    return summary;
}

auto format_summary(const BuildSummary& summary) -> std::string {
    double seconds = std::max(summary.seconds, 1e-6);
    char buffer[512];
    std::snprintf(buffer, sizeof buffer,
                  "indexed %llu documents (%llu bad) in %.2f s: %.0f documents/s, %.1f MB/s; "
                  "index %.1f MB, %llu documents (%s)",
                  static_cast<unsigned long long>(summary.documents),
                  static_cast<unsigned long long>(summary.bad_records), summary.seconds,
                  static_cast<double>(summary.documents) / seconds,
                  static_cast<double>(summary.input_bytes) / 1e6 / seconds,
                  static_cast<double>(summary.index_bytes) / 1e6,
                  static_cast<unsigned long long>(summary.total_documents), summary.generation.c_str());
    return buffer;
}

}  // namespace broadsheet::indexer
