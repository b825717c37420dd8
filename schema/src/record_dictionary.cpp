#include "broadsheet/schema/record_dictionary.hpp"

#include <mutex>
#include <stdexcept>

#include <zdict.h>
#include <zstd.h>

#include "broadsheet/schema/schema.hpp"
#include "zstd_contexts.hpp"

namespace broadsheet::schema {

namespace {

// zstd's default level: with a dictionary, level 3 already finds most of
// what higher levels would, at a fraction of their indexing time.
constexpr int record_compression_level = 3;

}  // namespace

// The digested dictionary: for decompressing, made at once (every reader
// needs it); for compressing, made on first use (only writers do).
struct RecordDictionary::Tables {
    std::unique_ptr<ZSTD_DDict, decltype(&ZSTD_freeDDict)> decompress{nullptr, ZSTD_freeDDict};
    std::unique_ptr<ZSTD_CDict, decltype(&ZSTD_freeCDict)> compress{nullptr, ZSTD_freeCDict};
    std::once_flag compress_made;
};

RecordDictionary::RecordDictionary(std::string bytes)
    : m_bytes(std::move(bytes)), m_tables(std::make_unique<Tables>()) {
    // Only a trained dictionary has an id; raw bytes would be taken as plain content.
    m_id = ZDICT_getDictID(m_bytes.data(), m_bytes.size());
    if (m_id == 0) throw std::runtime_error("the record dictionary is not a zstd dictionary");
    m_tables->decompress.reset(ZSTD_createDDict(m_bytes.data(), m_bytes.size()));
    if (!m_tables->decompress) throw std::runtime_error("the record dictionary is damaged");
}

RecordDictionary::~RecordDictionary() = default;

void RecordDictionary::compress(std::string_view record, std::string& out) const {
    std::call_once(m_tables->compress_made, [&] {
        m_tables->compress.reset(ZSTD_createCDict(m_bytes.data(), m_bytes.size(), record_compression_level));
    });
    if (!m_tables->compress) throw std::runtime_error("the record dictionary is damaged");
    const auto before = out.size();
    out.resize(before + ZSTD_compressBound(record.size()));
    const auto written = ZSTD_compress_usingCDict(detail::compress_context(), out.data() + before, out.size() - before,
                                                  record.data(), record.size(), m_tables->compress.get());
    if (ZSTD_isError(written)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(written));
    out.resize(before + written);
}

auto RecordDictionary::decompress(std::string_view frame) const -> std::string {
    if (ZSTD_getDictID_fromFrame(frame.data(), frame.size()) != m_id)
        throw std::runtime_error("a stored record was compressed with another dictionary than the index's");
    // compress() writes the size into the frame; a damaged one is caught by the checks below.
    const auto size = ZSTD_getFrameContentSize(frame.data(), frame.size());
    if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR || size > (std::size_t{1} << 31))
        throw std::runtime_error("a stored record is damaged");
    std::string record(static_cast<std::size_t>(size), '\0');
    const auto written = ZSTD_decompress_usingDDict(detail::decompress_context(), record.data(), record.size(),
                                                    frame.data(), frame.size(), m_tables->decompress.get());
    if (ZSTD_isError(written) || written != record.size()) throw std::runtime_error("a stored record is damaged");
    return record;
}

auto train_record_dictionary(const std::vector<std::string>& samples) -> std::optional<std::string> {
    if (samples.size() < min_dictionary_samples) return std::nullopt;
    std::string joined;
    std::vector<std::size_t> sizes;
    sizes.reserve(samples.size());
    for (const auto& sample : samples) {
        joined += sample;
        sizes.push_back(sample.size());
    }
    // At most a tenth of the sample: a bigger one would only be the sample.
    const auto capacity = std::min(record_dictionary_bytes, std::max<std::size_t>(joined.size() / 10, 4096));
    std::string dictionary(capacity, '\0');
    const auto made = ZDICT_trainFromBuffer(dictionary.data(), dictionary.size(), joined.data(), sizes.data(),
                                            static_cast<unsigned>(sizes.size()));
    if (ZDICT_isError(made)) return std::nullopt;
    dictionary.resize(made);
    return dictionary;
}

auto load_record_dictionary(const Xapian::Database& db) -> std::shared_ptr<const RecordDictionary> {
    auto bytes = db.get_metadata(metadata::record_dictionary);
    if (bytes.empty()) return nullptr;
    return std::make_shared<const RecordDictionary>(std::move(bytes));
}

}  // namespace broadsheet::schema
