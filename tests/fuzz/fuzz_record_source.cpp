// The input reader over arbitrary bytes, and what the indexer does with each
// record it yields: validation against the default schema and the Xapian
// document. Input: one byte naming the file's kind ('t' article text, 'g'
// gzip-named JSONL, which zlib reads as is when it is not compressed, else
// JSONL), then the file's content.
//
// Properties: only RecordError refuses a record; a bad line is reported
// with its line number and a printable reason; an accepted record makes a
// document whose terms fit in a Xapian index and whose stored fields read
// back as they were given.

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <xapian.h>
#include <nlohmann/json.hpp>

#include "broadsheet/indexer/record_source.hpp"
#include "broadsheet/schema/document.hpp"
#include "broadsheet/schema/schema.hpp"
#include "fuzz_check.hpp"

namespace {

namespace fs = std::filesystem;
using namespace broadsheet;
using broadsheet::fuzz::fail;

// The longest term a Xapian (glass) database accepts.
constexpr std::size_t max_term_bytes = 245;

// The first byte names the kind: 't' article text, 'g' gzip-named JSONL, anything else JSONL.
auto file_name(char kind) -> std::string_view {
    if (kind == 't') return "input.txt";
    if (kind == 'g') return "input.jsonl.gz";
    return "input.jsonl";
}

auto line_count(std::string_view content) -> std::size_t {
    return static_cast<std::size_t>(std::count(content.begin(), content.end(), '\n')) + 1;
}

void check_bad(const indexer::BadRecord& bad, const fs::path& path, std::string_view content, std::string_view input) {
    for (char c : bad.reason)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F)
            fail("a bad-record reason with an unprintable byte: " + bad.reason, input);
    if (path.extension() == ".txt") {
        if (bad.origin != path.string()) fail("a bad text file reported as " + bad.origin, input);
        return;
    }
    auto line = bad.origin.substr(bad.origin.rfind(':') + 1);
    if (bad.origin != path.string() + ":" + line || std::stoul(line) < 1 || std::stoul(line) > line_count(content))
        fail("a bad line reported as " + bad.origin, input);
}

void check_record(const nlohmann::json& raw, std::string_view input) {
    static const auto schema = schema::Schema::default_schema();
    if (!raw.is_object()) fail("a record that is not an object", input);
    nlohmann::json article;
    try {
        article = schema::normalize_record(schema, raw);
    } catch (const schema::RecordError&) {
        return;
    }
    Xapian::TermGenerator generator;
    schema.configure(generator);
    auto doc = schema::make_document(schema, article, generator);
    for (auto term = doc.termlist_begin(); term != doc.termlist_end(); ++term)
        if ((*term).size() > max_term_bytes)
            fail("an accepted record makes a term of " + std::to_string((*term).size()) +
                     " bytes, which the index refuses",
                 input);
    auto stored = schema::stored_fields(schema, doc);
    for (const auto& field : schema.fields()) {
        if (!field.stored) continue;
        // Absent, null, "" and [] all read back as "nothing".
        auto is_nothing = [](const nlohmann::json& value) {
            return value.is_null() || (value.is_string() && value.get_ref<const std::string&>().empty()) ||
                   (value.is_array() && value.empty());
        };
        auto given = article.find(field.name);
        const auto& read = stored[field.name];
        if (given == article.end() || is_nothing(*given) ? !is_nothing(read) : read != *given)
            fail("the stored field '" + field.name + "' reads back as " + read.dump() + ", not as given", input);
    }
}

}  // namespace

extern "C" auto LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) -> int {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (input.empty()) return 0;
    // One file per process, removed after each input (a crash leaves its input behind).
    const auto path = fs::temp_directory_path() /
                      ("broadsheet-fuzz-" + std::to_string(::getpid()) + "-" + std::string(file_name(input.front())));
    const auto content = input.substr(1);
    {
        std::ofstream file(path, std::ios::binary | std::ios::trunc);
        file.write(content.data(), static_cast<std::streamsize>(content.size()));
        if (!file) fail("cannot write " + path.string(), input);
    }
    try {
        indexer::read_inputs(
            {path.string()}, indexer::SourceOptions{},
            [&](indexer::RawRecord&& record) { check_record(record.value, input); },
            [&](indexer::BadRecord&& bad) { check_bad(bad, path, content, input); });
    } catch (const std::runtime_error&) {
        // Corrupt compressed data ends the input; plain files must always be readable.
        if (path.extension() != ".gz") throw;
    }
    fs::remove(path);
    return 0;
}
