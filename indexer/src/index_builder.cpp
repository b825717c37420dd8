#include "broadsheet/indexer/index_builder.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <spdlog/spdlog.h>
#include <xapian.h>

#include "broadsheet/indexer/generations.hpp"
#include "broadsheet/indexer/progress.hpp"
#include "broadsheet/schema/document.hpp"
#include "broadsheet/schema/field_stems.hpp"
#include "broadsheet/schema/record_dictionary.hpp"
#include "broadsheet/schema/shards.hpp"

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

// The words a stemmed field query cannot find from their stem alone
// (schema/field_stems.hpp), met while indexing and not yet written.
struct StemExceptions {
    std::vector<std::pair<std::string, std::string>> pending;  ///< stem, word
    std::unordered_set<std::string> seen;                      ///< words
};

// The schema's stemmer with a memory: an article repeats its words, and a
// corpus its vocabulary, so most words are stemmed once per writer rather
// than once per occurrence (the stemmer was a sixth of the indexing work).
// Each word stemmed afresh is checked for being a stem exception.
class CachedStem final : public Xapian::StemImplementation {
public:
    CachedStem(Xapian::Stem stemmer, StemExceptions& exceptions)
        : m_stemmer(std::move(stemmer)), m_exceptions(exceptions) {}

    auto operator()(const std::string& word) -> std::string override {
        if (auto found = m_stems.find(word); found != m_stems.end()) return found->second;
        // Bounded: a corpus of rare words (ids, numbers) starts afresh.
        if (m_stems.size() >= max_words) m_stems.clear();
        const auto& stem = m_stems.emplace(word, m_stemmer(word)).first->second;
        if (schema::is_stem_exception(word, stem) && m_exceptions.seen.insert(word).second)
            m_exceptions.pending.emplace_back(stem, word);
        return stem;
    }

    [[nodiscard]] auto get_description() const -> std::string override {
        return "CachedStem(" + m_stemmer.get_description() + ")";
    }

private:
    static constexpr std::size_t max_words = 1U << 18;
    Xapian::Stem m_stemmer;
    StemExceptions& m_exceptions;
    std::unordered_map<std::string, std::string> m_stems;
};

// Turns articles into documents in one or more databases (the shards of a
// generation), counting their words for the spelling table, which goes into
// one database of its own choosing (the shard itself when there is one).
class DocumentWriter {
public:
    /// `fresh`: the databases started empty, so an id not yet written here cannot be in them.
    /// `dictionary`: the generation's record dictionary, or null; `field_terms`: the generation's (make_document).
    DocumentWriter(const BuildOptions& options, const schema::Schema& schema,
                   std::vector<Xapian::WritableDatabase*> targets, Xapian::WritableDatabase* words, bool fresh,
                   const schema::RecordDictionary* dictionary, schema::FieldTerms field_terms)
        : m_schema(schema),
          m_dictionary(dictionary),
          m_targets(std::move(targets)),
          m_words_db(words),
          m_fresh(fresh),
          m_spelling(options.spelling),
          m_field_terms(field_terms),
          m_distinct(m_targets.size(), 0) {
        schema.configure(m_generator);
        // "none" stays the no-op stemmer Xapian recognises (no stemmed terms at all).
        if (auto stemmer = schema.stemmer(); !stemmer.is_none())
            m_generator.set_stemmer(Xapian::Stem(new CachedStem(std::move(stemmer), m_stem_exceptions)));
    }

    /// Writes into targets[target]. Throws BuildError naming `origin` if Xapian
    /// refuses the record's document.
    void write(const std::string& id, const nlohmann::json& article, const std::string& origin, std::size_t target) {
        try {
            add_or_replace(id, article, target);
        } catch (const Xapian::InvalidArgumentError& e) {
            // A record Xapian cannot take; it has already dropped the uncommitted
            // changes with it, so the run cannot go on without them.
            throw BuildError(origin + ": cannot index this record: " + e.get_description());
        }
    }

    /// Adds the spelling data counted since the last call: once per word,
    /// where the TermGenerator's FLAG_SPELLING adds it once per occurrence.
    /// Call it before each commit.
    /// The stem exceptions met since then go with it.
    void add_spelling() {
        for (const auto& [word, count] : m_words) m_words_db->add_spelling(word, count);
        m_words.clear();
        for (const auto& [stem, word] : m_stem_exceptions.pending) {
            const auto key = schema::stem_exceptions_key(stem);
            m_words_db->set_metadata(key, schema::with_listed_word(m_words_db->get_metadata(key), word));
        }
        m_stem_exceptions.pending.clear();
    }

    /// Commits what was written; the spelling data counted so far goes in
    /// with the last commit, or sooner once it holds many words, so a
    /// common word's spelling entries are not rewritten at every commit.
    void commit(bool last) {
        if (last || m_words.size() >= max_pending_words) add_spelling();
        // Explicitly commit so that we get to see any errors (a full disk, say).
        for (auto* db : m_targets) db->commit();
        if (std::find(m_targets.begin(), m_targets.end(), m_words_db) == m_targets.end()) m_words_db->commit();
        m_text_bytes = 0;
    }

    /// Bytes of article text written since the last commit().
    [[nodiscard]] auto text_bytes() const -> std::uint64_t { return m_text_bytes; }

    /// Distinct ids written into targets[target].
    [[nodiscard]] auto distinct_ids(std::size_t target) const -> std::uint64_t { return m_distinct.at(target); }

private:
    // About 40 MB of counted words.
    static constexpr std::size_t max_pending_words = std::size_t{1} << 19;

    void add_or_replace(const std::string& id, const nlohmann::json& article, std::size_t target) {
        for (const auto& field : m_schema.fields()) {
            if (!field.is_text()) continue;
            if (auto text = article.find(field.name); text != article.end() && text->is_string())
                m_text_bytes += text->get_ref<const std::string&>().size();
        }
        auto doc = schema::make_document(m_schema, article, m_generator, m_spelling ? &m_words : nullptr, m_dictionary,
                                         m_field_terms);
        auto& db = *m_targets.at(target);
        // Upsert by id; in a fresh database only an id seen before needs the lookup.
        // An id always goes to the same target, so the set can be shared.
        const bool first = m_ids.insert(id).second;
        if (first) ++m_distinct[target];
        if (m_fresh && first) {
            db.add_document(doc);
        } else {
            db.replace_document(m_schema.id_term(id), doc);
        }
    }

    const schema::Schema& m_schema;
    const schema::RecordDictionary* m_dictionary;
    std::vector<Xapian::WritableDatabase*> m_targets;
    Xapian::WritableDatabase* m_words_db;
    bool m_fresh;
    bool m_spelling;
    schema::FieldTerms m_field_terms;
    StemExceptions m_stem_exceptions;  // before m_generator, whose stemmer refers to it
    Xapian::TermGenerator m_generator;
    schema::WordCounts m_words;
    std::uint64_t m_text_bytes = 0;
    std::unordered_set<std::string> m_ids;
    std::vector<std::uint64_t> m_distinct;
};

// The scratch databases a parallel build leaves for compaction.
struct BuildParts {
    std::vector<std::vector<fs::path>> shards;  ///< per shard, its parts (one per writer)
    std::vector<fs::path> words;                ///< sharded: each writer's spelling database
    std::vector<std::uint64_t> documents;       ///< per shard, distinct ids written
};

// A build split over writer threads. Each writer owns a part of every shard
// (one scratch database per shard) and, in a sharded build, a database for
// its spelling data; each shard is then compacted from its parts. An article
// goes to its shard by the id's shard hash and to a writer by the rest of
// that hash, so a repeated id replaces within one database.
class PartedBuild {
public:
    PartedBuild(const BuildOptions& options, const schema::Schema& schema, const fs::path& scratch, unsigned writers,
                std::uint32_t shards, const schema::RecordDictionary* dictionary)
        : m_flush_bytes(std::max<std::uint64_t>(options.flush_bytes, 1)), m_shard_count(shards) {
        for (unsigned i = 0; i < writers; ++i) {
            auto part = std::make_unique<Part>();
            // No fsync per commit: the compacted generation is synced once, before publishing.
            constexpr int flags = Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_NO_SYNC;
            const auto base = "part-" + std::to_string(i);
            std::vector<Xapian::WritableDatabase*> targets;
            part->dbs.reserve(shards);
            for (std::uint32_t k = 0; k < shards; ++k) {
                part->paths.push_back(scratch / (base + "-" + schema::shard_name(k)));
                part->dbs.emplace_back(part->paths.back().string(), flags);
            }
            for (auto& db : part->dbs) targets.push_back(&db);
            Xapian::WritableDatabase* words = targets.front();
            if (shards > 1) {
                part->words_path = scratch / (base + "-words");
                part->words = Xapian::WritableDatabase(part->words_path.string(), flags);
                words = &part->words;
            }
            part->writer = std::make_unique<DocumentWriter>(options, schema, std::move(targets), words, true,
                                                            dictionary, schema::FieldTerms::unstemmed);
            m_parts.push_back(std::move(part));
        }
        try {
            for (auto& part : m_parts) part->thread = std::thread([this, p = part.get()] { work(*p); });
        } catch (...) {
            stop();  // a running thread must be joined before it is destroyed
            throw;
        }
    }

    ~PartedBuild() { stop(); }

    void add(std::string id, nlohmann::json article, std::string origin) {
        const auto hash = schema::fnv1a_64(id);
        const auto shard = static_cast<std::uint32_t>(hash % m_shard_count);
        auto& part = *m_parts[(hash / m_shard_count) % m_parts.size()];
        part.pending.push_back(Pending{std::move(id), std::move(article), std::move(origin), shard});
        if (part.pending.size() >= batch_size) hand_over(part);
    }

    /// Waits for the writers to commit every database and returns them.
    auto finish() -> BuildParts {
        for (auto& part : m_parts) hand_over(*part);
        m_committing = true;
        stop();
        BuildParts result;
        result.shards.resize(m_shard_count);
        result.documents.assign(m_shard_count, 0);
        for (auto& part : m_parts) {
            if (part->error) std::rethrow_exception(part->error);
            for (std::uint32_t k = 0; k < m_shard_count; ++k) {
                result.documents[k] += part->writer->distinct_ids(k);
                part->dbs[k].close();
                result.shards[k].push_back(part->paths[k]);
            }
            if (m_shard_count > 1) {
                part->words.close();
                result.words.push_back(part->words_path);
            }
        }
        return result;
    }

private:
    struct Pending {
        std::string id;
        nlohmann::json article;
        std::string origin;  ///< "file:line", for an error about this record
        std::uint32_t shard;
    };
    using Batch = std::vector<Pending>;
    static constexpr std::size_t batch_size = 64;
    static constexpr std::size_t max_queued_batches = 8;  // bounds memory when writers lag

    struct Part {
        std::vector<fs::path> paths;  ///< per shard
        std::vector<Xapian::WritableDatabase> dbs;
        fs::path words_path;
        Xapian::WritableDatabase words;
        std::unique_ptr<DocumentWriter> writer;
        Batch pending;
        std::deque<Batch> queue;
        std::mutex mutex;
        std::condition_variable changed;
        bool closing = false;
        std::exception_ptr error;
        std::thread thread;
    };

    void hand_over(Part& part) {
        if (part.pending.empty()) return;
        std::unique_lock lock(part.mutex);
        part.changed.wait(lock, [&] { return part.queue.size() < max_queued_batches || part.error; });
        if (part.error) std::rethrow_exception(part.error);
        part.queue.push_back(std::move(part.pending));
        part.pending = {};
        part.changed.notify_all();
    }

    void work(Part& part) {
        while (true) {
            Batch batch;
            {
                std::unique_lock lock(part.mutex);
                part.changed.wait(lock, [&] { return !part.queue.empty() || part.closing; });
                if (part.queue.empty()) break;
                batch = std::move(part.queue.front());
                part.queue.pop_front();
                part.changed.notify_all();
            }
            try {
                for (const auto& pending : batch) {
                    part.writer->write(pending.id, pending.article, pending.origin, pending.shard);
                    // Small commits are cheaper as well as smaller: Xapian's
                    // inverter slows down as its maps grow. The bound is per
                    // writer, whatever the number of shards.
                    if (part.writer->text_bytes() >= m_flush_bytes) part.writer->commit(false);
                }
            } catch (...) {
                std::lock_guard lock(part.mutex);
                part.error = std::current_exception();
                part.queue.clear();
                part.changed.notify_all();
                return;
            }
        }
        if (!m_committing) return;  // abandoned: the scratch databases are removed
        try {
            // Each writer commits its own databases, so the final flushes run side by side.
            part.writer->commit(true);
        } catch (...) {
            std::lock_guard lock(part.mutex);
            part.error = std::current_exception();
        }
    }

    void stop() {
        for (auto& part : m_parts) {
            {
                std::lock_guard lock(part->mutex);
                part->closing = true;
            }
            part->changed.notify_all();
        }
        for (auto& part : m_parts)
            if (part->thread.joinable()) part->thread.join();
    }

    std::uint64_t m_flush_bytes;
    std::uint32_t m_shard_count;
    std::vector<std::unique_ptr<Part>> m_parts;
    std::atomic<bool> m_committing = false;  ///< set by finish(): writers commit their databases on closing
};

// The first records of a build, held back until they make a sample big
// enough to train the record dictionary on (about `bytes` of stored data).
class DictionarySample {
public:
    struct Held {
        std::string id;
        nlohmann::json article;
        std::string origin;
    };

    DictionarySample(const schema::Schema& schema, std::uint64_t bytes) : m_schema(schema), m_wanted(bytes) {}

    /// Holds a record; true once the sample is complete.
    auto hold(std::string id, nlohmann::json article, const std::string& origin) -> bool {
        if (auto record = schema::record_sample(m_schema, article)) {
            m_bytes += record->size();
            m_records.push_back(std::move(*record));
        }
        m_held.push_back({std::move(id), std::move(article), origin});
        return m_bytes >= m_wanted;
    }

    /// The dictionary trained on the sample; null when there is too little to train on.
    auto train() -> std::unique_ptr<schema::RecordDictionary> {
        if (m_wanted == 0) return nullptr;
        const auto start = Clock::now();
        auto bytes = schema::train_record_dictionary(m_records);
        const auto seconds = std::chrono::duration<double>(Clock::now() - start).count();
        if (!bytes) {
            spdlog::debug("no record dictionary: {} records are too few to train one on", m_records.size());
            return nullptr;
        }
        spdlog::info("trained a record dictionary of {} KB on {} records ({:.1f} MB) in {:.2f} s", bytes->size() / 1024,
                     m_records.size(), static_cast<double>(m_bytes) / 1e6, seconds);
        m_records.clear();
        return std::make_unique<schema::RecordDictionary>(std::move(*bytes));
    }

    auto take_held() -> std::vector<Held> { return std::exchange(m_held, {}); }

private:
    const schema::Schema& m_schema;
    std::uint64_t m_wanted;
    std::uint64_t m_bytes = 0;
    std::vector<std::string> m_records;
    std::vector<Held> m_held;
};

// Runs the tasks on up to `threads` threads; rethrows the first failure
// once all have stopped.
void run_in_parallel(const std::vector<std::function<void()>>& tasks, unsigned threads) {
    std::atomic<std::size_t> next = 0;
    std::mutex mutex;
    std::exception_ptr error;
    auto work = [&] {
        for (auto i = next++; i < tasks.size(); i = next++) {
            try {
                tasks[i]();
            } catch (...) {
                std::lock_guard lock(mutex);
                if (!error) error = std::current_exception();
            }
        }
    };
    std::vector<std::thread> pool;
    const auto extra = std::min<std::size_t>(std::max(threads, 1u), tasks.size());
    try {
        for (std::size_t i = 1; i < extra; ++i) pool.emplace_back(work);
    } catch (...) {
        // Fewer threads than asked for: the ones running and this one finish the work.
    }
    work();
    for (auto& thread : pool) thread.join();
    if (error) std::rethrow_exception(error);
}

// Compaction keeps the first of a metadata key's values, except for stem
// exceptions, which each writer lists for the words it met: their union.
class MetadataMerger final : public Xapian::Compactor {
public:
    auto resolve_duplicate_metadata(const std::string& key, std::size_t num_tags, const std::string tags[])
        -> std::string override {
        if (!key.starts_with(schema::metadata::stem_exceptions)) return tags[0];
        std::string merged;
        for (std::size_t i = 0; i < num_tags; ++i)
            for (const auto& word : schema::listed_words(tags[i])) merged = schema::with_listed_word(merged, word);
        return merged;
    }
};

// Merges databases into a new compacted one at `output` (which must not exist).
void compact_into(const std::vector<fs::path>& inputs, const fs::path& output) {
    Xapian::Database merged;
    for (const auto& path : inputs) merged.add_database(Xapian::Database(path.string()));
    MetadataMerger merger;
    merged.compact(output.string(), Xapian::Compactor::FULL, 0, merger);
    merged.close();
}

// What every database of a generation records about its build. Each
// holds the record dictionary: a shard's readers and a cluster's front end
// (which decodes what remote shards send) each need it.
void write_build_metadata(Xapian::WritableDatabase& db, const schema::Schema& schema, const std::string& generation,
                          const std::string& built_at, const schema::RecordDictionary* dictionary) {
    db.set_metadata(schema::metadata::schema, schema.to_string());
    db.set_metadata(schema::metadata::built_at, built_at);
    db.set_metadata(schema::metadata::generation, generation);
    db.set_metadata(schema::metadata::field_terms, std::string(schema::metadata::unstemmed_field_terms));
    if (dictionary) db.set_metadata(schema::metadata::record_dictionary, dictionary->bytes());
}

// The synonyms and stopword entries the query parser reads.
void write_dictionary(Xapian::WritableDatabase& db, const schema::Schema& schema) {
    schema.synonyms().write_to(db, schema.stemmer(), schema.stopper());
    schema::write_stopword_keys(db, schema.stopwords(), schema.stemmer());
}

void check_stored_schema(const Xapian::Database& db, const fs::path& path, const schema::Schema& schema) {
    if (load_stored_schema(db, path).to_string() != schema.to_string())
        throw BuildError("verification failed: the stored schema of " + path.string() +
                         " does not read back identically");
}

// Reopens the finished generation read-only and checks it holds what was written.
void verify_generation(const fs::path& path, const schema::Schema& schema, std::uint64_t expected_docs) {
    Xapian::Database db(path.string());
    if (db.get_doccount() != expected_docs)
        throw BuildError("verification failed: expected " + std::to_string(expected_docs) +
                         " documents, the new index holds " + std::to_string(db.get_doccount()));
    check_stored_schema(db, path, schema);
}

// The same for a sharded generation: every shard holds its documents and
// knows its place, the front database holds none, and together they hold all.
void verify_sharded_generation(const fs::path& path, const schema::Schema& schema,
                               const schema::ShardManifest& manifest) {
    const auto front_path = path / schema::front_database_name;
    Xapian::Database front(front_path.string());
    if (front.get_doccount() != 0)
        throw BuildError("verification failed: the front database holds " + std::to_string(front.get_doccount()) +
                         " documents");
    check_stored_schema(front, front_path, schema);
    const auto count = std::to_string(manifest.count);
    if (front.get_metadata(schema::shard_metadata::count) != count)
        throw BuildError("verification failed: the front database does not record " + count + " shards");
    Xapian::Database all(front_path.string());
    std::uint64_t total = 0;
    const auto paths = manifest.shard_paths(path);
    for (std::uint32_t k = 0; k < manifest.count; ++k) {
        Xapian::Database shard(paths[k].string());
        if (shard.get_doccount() != manifest.documents[k])
            throw BuildError("verification failed: expected " + std::to_string(manifest.documents[k]) +
                             " documents in " + schema::shard_name(k) + ", it holds " +
                             std::to_string(shard.get_doccount()));
        check_stored_schema(shard, paths[k], schema);
        if (shard.get_metadata(schema::shard_metadata::index) != std::to_string(k) ||
            shard.get_metadata(schema::shard_metadata::count) != count)
            throw BuildError("verification failed: " + schema::shard_name(k) + " does not record its place");
        total += manifest.documents[k];
        all.add_database(shard);
    }
    if (all.get_doccount() != total)
        throw BuildError("verification failed: the shards together hold " + std::to_string(all.get_doccount()) +
                         " documents, not " + std::to_string(total));
}

// Every file Xapian wrote, and the directories themselves, on disk before publishing.
void sync_directory(const fs::path& dir) {
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.is_directory()) {
            sync_directory(entry.path());
        } else if (entry.is_regular_file()) {
            sync_path(entry.path());
        }
    }
    sync_path(dir);
}

// One writer per core: parsing is cheap next to term generation and Xapian's
// inverter, which is what the writers spread out.
auto default_jobs() -> unsigned { return std::clamp(std::thread::hardware_concurrency(), 1u, 8u); }

// The databases of the live generation, opened for writing: one (the
// generation itself) or its shards and its front database.
struct LiveDatabases {
    std::optional<schema::ShardManifest> manifest;
    std::vector<Xapian::WritableDatabase> shards;
    Xapian::WritableDatabase front;  ///< sharded only
    schema::Schema stored_schema;    ///< the schema the generation was built with
    /// The generation's record dictionary (null if it has none): what it adds is compressed alike.
    std::shared_ptr<const schema::RecordDictionary> dictionary;

    LiveDatabases(const fs::path& path, std::optional<schema::ShardManifest> sharding)
        : manifest(std::move(sharding)), stored_schema(schema::Schema::default_schema()) {
        if (!manifest) {
            shards.emplace_back(path.string(), Xapian::DB_OPEN);
            // The generation keeps the schema it was built with, whatever --schema says now.
            stored_schema = load_stored_schema(shards.front(), path);
            dictionary = schema::load_record_dictionary(shards.front());
            return;
        }
        const auto front_path = path / schema::front_database_name;
        front = Xapian::WritableDatabase(front_path.string(), Xapian::DB_OPEN);
        stored_schema = load_stored_schema(front, front_path);
        dictionary = schema::load_record_dictionary(front);
        for (const auto& shard : manifest->shard_paths(path)) shards.emplace_back(shard.string(), Xapian::DB_OPEN);
    }

    /// The database an id's document lives in.
    [[nodiscard]] auto shard_for(std::string_view id) const -> std::size_t {
        return manifest ? schema::shard_of(id, manifest->count) : 0;
    }
    /// Where the spelling data goes.
    [[nodiscard]] auto words() -> Xapian::WritableDatabase* { return manifest ? &front : &shards.front(); }
    /// Every database, each once.
    [[nodiscard]] auto all() -> std::vector<Xapian::WritableDatabase*> {
        std::vector<Xapian::WritableDatabase*> dbs;
        for (auto& shard : shards) dbs.push_back(&shard);
        if (manifest) dbs.push_back(&front);
        return dbs;
    }
    [[nodiscard]] auto doccount() const -> std::uint64_t {
        std::uint64_t total = 0;
        for (const auto& shard : shards) total += shard.get_doccount();
        return total;
    }
};

auto open_live(const IndexRoot& root, const fs::path& index_root, BuildSummary& summary) -> LiveDatabases {
    auto live = root.current();
    if (!live) throw BuildError("no published index at " + index_root.string() + ": run build first");
    // add and delete write in place, so replicas follow them through the same
    // masters; this only repairs masters left behind (an older root, a publish
    // cut short before it moved them).
    root.point_masters_at(*live);
    summary.generation = *live;
    summary.path = root.path_of(*live);
    LiveDatabases dbs(summary.path, schema::read_shard_manifest(summary.path));
    summary.shards = dbs.manifest ? dbs.manifest->count : 1;
    return dbs;
}

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
    const auto shard_count = options.shards;
    if (shard_count < 1 || shard_count > schema::max_shards)
        throw BuildError("--shards must be between 1 and " + std::to_string(schema::max_shards));
    const unsigned jobs = options.jobs > 0 ? options.jobs : default_jobs();
    IndexRoot root(options.index_root);
    BuildSummary summary;
    summary.generation = root.next_generation();
    summary.shards = shard_count;
    auto staging = root.prepare_staging(summary.generation);
    // Documents go into scratch databases first, which are then merged and
    // compacted into the staging directory: half the size, faster to search.
    auto scratch = fs::path(staging.string() + ".raw");
    try {
        fs::create_directories(scratch);
        BuildParts parts;
        std::unique_ptr<schema::RecordDictionary> dictionary;
        {
            // The first records are held back to train the dictionary on;
            // the writers start once it is made (or the input has ended).
            DictionarySample sample(schema, options.dictionary_sample_bytes);
            std::optional<PartedBuild> build;
            auto start_writers = [&] {
                dictionary = sample.train();
                build.emplace(options, schema, scratch, jobs, shard_count, dictionary.get());
                for (auto& held : sample.take_held())
                    build->add(std::move(held.id), std::move(held.article), held.origin);
            };
            ArticleReader(options, schema)
                .run(summary, [&](std::string id, nlohmann::json article, const std::string& origin) {
                    if (build) return build->add(std::move(id), std::move(article), origin);
                    if (sample.hold(std::move(id), std::move(article), origin)) start_writers();
                });
            if (!build) start_writers();
            parts = build->finish();
        }
        std::uint64_t distinct = 0;
        for (const auto count : parts.documents) distinct += count;
        if (distinct == 0 && !options.allow_empty)
            throw BuildError("no documents in the input: nothing published (--allow-empty publishes an empty index)");
        const auto built_at = now_iso();
        if (shard_count == 1) {
            // The metadata and synonyms go into the first part; compaction carries them over.
            Xapian::WritableDatabase first(parts.shards[0].front().string(), Xapian::DB_OPEN | Xapian::DB_NO_SYNC);
            write_dictionary(first, schema);
            write_build_metadata(first, schema, summary.generation, built_at, dictionary.get());
            first.commit();
            first.close();
            fs::remove(staging);  // compact() creates it
            compact_into(parts.shards[0], staging);
            fs::remove_all(scratch);
            verify_generation(staging, schema, distinct);
        } else {
            const auto count = std::to_string(shard_count);
            std::vector<std::function<void()>> compactions;
            {
                Xapian::WritableDatabase front(parts.words.front().string(), Xapian::DB_OPEN | Xapian::DB_NO_SYNC);
                write_dictionary(front, schema);
                write_build_metadata(front, schema, summary.generation, built_at, dictionary.get());
                front.set_metadata(schema::shard_metadata::count, count);
                front.commit();
            }
            compactions.emplace_back([&] { compact_into(parts.words, staging / schema::front_database_name); });
            for (std::uint32_t k = 0; k < shard_count; ++k) {
                Xapian::WritableDatabase first(parts.shards[k].front().string(), Xapian::DB_OPEN | Xapian::DB_NO_SYNC);
                write_build_metadata(first, schema, summary.generation, built_at, dictionary.get());
                first.set_metadata(schema::shard_metadata::count, count);
                first.set_metadata(schema::shard_metadata::index, std::to_string(k));
                first.commit();
                compactions.emplace_back([&, k] { compact_into(parts.shards[k], staging / schema::shard_name(k)); });
            }
            // One compaction per shard, side by side.
            run_in_parallel(compactions, jobs);
            fs::remove_all(scratch);
            const schema::ShardManifest manifest{summary.generation, shard_count, parts.documents};
            verify_sharded_generation(staging, schema, manifest);
            schema::write_shard_manifest(staging, manifest);
        }
        sync_directory(staging);
        root.publish(summary.generation, staging);
        summary.total_documents = distinct;
        summary.shard_documents = parts.documents;
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
    BuildSummary summary;
    auto live = open_live(root, options.index_root, summary);
    auto dbs = live.all();
    // Batches of options.commit_every documents, each one transaction per
    // database: memory stays bounded, readers see whole batches only (of each
    // shard), and an add that fails or is killed leaves the live generation at
    // its last committed batch (upserts by id, so running the same add again
    // is safe).
    const auto batch_size = std::max<std::uint64_t>(options.commit_every, 1);
    std::uint64_t in_batch = 0;
    std::vector<Xapian::WritableDatabase*> in_transaction;
    auto begin = [&] {
        for (auto* db : dbs) {
            db->begin_transaction();
            in_transaction.push_back(db);
        }
    };
    auto commit = [&] {
        while (!in_transaction.empty()) {
            auto* db = in_transaction.back();
            in_transaction.pop_back();  // a failed commit ends the transaction too
            db->commit_transaction();
        }
    };
    try {
        begin();
        std::vector<Xapian::WritableDatabase*> targets;
        for (auto& shard : live.shards) targets.push_back(&shard);
        // A generation built before keeps its fields' stemmed words.
        const auto field_terms = live.words()->get_metadata(schema::metadata::field_terms) ==
                                         schema::metadata::unstemmed_field_terms
                                     ? schema::FieldTerms::unstemmed
                                     : schema::FieldTerms::with_stems;
        DocumentWriter writer(options, live.stored_schema, std::move(targets), live.words(), false,
                              live.dictionary.get(), field_terms);
        ArticleReader(options, live.stored_schema)
            .run(summary, [&](const std::string& id, const nlohmann::json& article, const std::string& origin) {
                writer.write(id, article, origin, live.shard_for(id));
                if (++in_batch < batch_size) return;
                writer.add_spelling();
                commit();
                begin();
                in_batch = 0;
            });
        writer.add_spelling();
        commit();
    } catch (...) {
        for (auto* db : in_transaction) {
            try {
                db->cancel_transaction();
            } catch (...) {
                // The first error is the one to report; the batch is lost either way.
            }
        }
        throw;
    }
    summary.total_documents = live.doccount();
    summary.index_bytes = directory_bytes(summary.path);
    summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return summary;
}

auto delete_documents(const fs::path& index_root, const std::vector<std::string>& ids) -> DeleteSummary {
    IndexRoot root(index_root);
    BuildSummary located;
    auto live = open_live(root, index_root, located);
    DeleteSummary summary;
    summary.generation = located.generation;
    for (const auto& id : ids) {
        auto term = live.stored_schema.id_term(id);
        auto& db = live.shards[live.shard_for(id)];
        if (db.term_exists(term)) {
            db.delete_document(term);
            summary.deleted.push_back(id);
        } else {
            summary.not_found.push_back(id);
        }
    }
    for (auto& shard : live.shards) shard.commit();
    return summary;
}

auto format_summary(const BuildSummary& summary) -> std::string {
    double seconds = std::max(summary.seconds, 1e-6);
    const auto shards = summary.shards > 1 ? " in " + std::to_string(summary.shards) + " shards" : std::string();
    char buffer[512];
    std::snprintf(buffer, sizeof buffer,
                  "indexed %llu documents (%llu bad) in %.2f s: %.0f documents/s, %.1f MB/s; "
                  "index %.1f MB, %llu documents%s (%s)",
                  static_cast<unsigned long long>(summary.documents),
                  static_cast<unsigned long long>(summary.bad_records), summary.seconds,
                  static_cast<double>(summary.documents) / seconds,
                  static_cast<double>(summary.input_bytes) / 1e6 / seconds,
                  static_cast<double>(summary.index_bytes) / 1e6,
                  static_cast<unsigned long long>(summary.total_documents), shards.c_str(), summary.generation.c_str());
    return buffer;
}

}  // namespace broadsheet::indexer
