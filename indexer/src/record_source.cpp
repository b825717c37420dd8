#include "broadsheet/indexer/record_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "broadsheet/indexer/text_article.hpp"
#include "broadsheet/schema/strings.hpp"

namespace broadsheet::indexer {

namespace {

namespace fs = std::filesystem;

// Large reads keep system-call and zlib overhead negligible next to JSON parsing.
constexpr std::size_t chunk_bytes = std::size_t{1} << 20;
constexpr unsigned gzip_buffer_bytes = 256U << 10;
constexpr std::uint64_t progress_step_bytes = std::uint64_t{1} << 20;
// Bad-record reasons end up in logs and reports: the offending token, not the whole line.
constexpr std::size_t max_reason_bytes = 160;

enum class Format { jsonl, text };

struct InputFile {
    fs::path path;
    Format format = Format::jsonl;
    bool gzip = false;
    std::string id;  ///< for text files: the record id derived from the path
};

struct Suffix {
    std::string_view text;
    Format format;
};

constexpr std::array<Suffix, 4> known_suffixes = {{
    {".txt", Format::text},
    {".jsonl", Format::jsonl},
    {".ndjson", Format::jsonl},
    {".json", Format::jsonl},
}};

struct Classified {
    Format format;
    bool gzip;
    std::size_t suffix_bytes;  ///< length of ".txt" or ".txt.gz" etc.
};

/// What a file name says about its content, or nullopt for files we do not read.
[[nodiscard]] auto classify(const std::string& file_name) -> std::optional<Classified> {
    std::string_view name = file_name;
    const auto lower = schema::ascii_lower(file_name);
    std::string_view lower_name = lower;
    bool gzip = false;
    if (lower_name.ends_with(".gz")) {
        gzip = true;
        lower_name.remove_suffix(3);
        name.remove_suffix(3);
    }
    for (const auto& suffix : known_suffixes) {
        // A bare ".txt" is a hidden file, not an article named "".
        if (lower_name.size() > suffix.text.size() && lower_name.ends_with(suffix.text)) {
            return Classified{suffix.format, gzip, suffix.text.size() + (gzip ? 3 : 0)};
        }
    }
    return std::nullopt;
}

[[nodiscard]] auto strip_suffix(std::string s, std::size_t bytes) -> std::string {
    s.resize(s.size() - bytes);
    return s;
}

/// A file found by name or in a directory walk; `relative` is its path below the input.
[[nodiscard]] auto make_input(const fs::path& path, const fs::path& relative, const Classified& kind,
                              const SourceOptions& options) -> InputFile {
    InputFile input{path, kind.format, kind.gzip, {}};
    if (kind.format == Format::text) {
        input.id = options.id_from_file_name ? strip_suffix(path.filename().string(), kind.suffix_bytes)
                                             : strip_suffix(relative.generic_string(), kind.suffix_bytes);
    }
    return input;
}

/// The files an input names, in reading order; an empty path means stdin.
[[nodiscard]] auto resolve(const std::string& input, const SourceOptions& options) -> std::vector<InputFile> {
    if (input == "-") return {InputFile{}};
    const fs::path path(input);
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) throw std::runtime_error("input not found: " + input);

    if (fs::is_directory(status)) {
        std::vector<std::pair<fs::path, Classified>> found;
        for (const auto& entry : fs::recursive_directory_iterator(path)) {
            if (!entry.is_regular_file()) continue;
            if (auto kind = classify(entry.path().filename().string())) {
                found.emplace_back(entry.path(), *kind);
            }
        }
        // Directory iteration order is unspecified; ids and bad-record
        // reports must not depend on it.
        std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<InputFile> files;
        files.reserve(found.size());
        for (const auto& [file, kind] : found) {
            files.push_back(make_input(file, file.lexically_relative(path), kind, options));
        }
        return files;
    }

    const auto kind = classify(path.filename().string());
    if (!kind) {
        throw std::runtime_error(
            "unsupported input (expected .jsonl, .ndjson, .json or .txt, "
            "optionally .gz): " +
            input);
    }
    return {make_input(path, path.filename(), *kind, options)};
}

/// Reports cumulative bytes consumed, at most about once per progress_step_bytes.
class Progress {
public:
    explicit Progress(const ProgressSink& sink) : m_sink(sink) {}

    void advance(std::uint64_t bytes) {
        m_done += bytes;
        if (m_sink && m_done - m_reported >= progress_step_bytes) report();
    }
    void finish() {
        if (m_sink) report();
    }

private:
    void report() {
        m_reported = m_done;
        m_sink(m_done);
    }

    const ProgressSink& m_sink;
    std::uint64_t m_done = 0;
    std::uint64_t m_reported = 0;
};

/// A stream of raw input bytes that accounts for what it consumes.
class ByteSource {
public:
    ByteSource() = default;
    virtual ~ByteSource() = default;
    ByteSource(const ByteSource&) = delete;
    auto operator=(const ByteSource&) -> ByteSource& = delete;

    /// Fills up to `size` bytes; 0 at the end. Throws std::runtime_error on read errors.
    [[nodiscard]] virtual auto read(char* buffer, std::size_t size) -> std::size_t = 0;
};

[[nodiscard]] auto errno_message(const std::string& what, const std::string& name) -> std::string {
    return what + " " + name + ": " + std::strerror(errno);
}

class FdSource final : public ByteSource {
public:
    /// Standard input, not closed at the end.
    explicit FdSource(Progress& progress) : m_fd(STDIN_FILENO), m_name("-"), m_progress(progress) {}

    FdSource(const fs::path& path, Progress& progress)
        : m_fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), m_name(path.string()), m_owned(true), m_progress(progress) {
        if (m_fd < 0) throw std::runtime_error(errno_message("cannot open", m_name));
    }
    ~FdSource() override {
        if (m_owned) ::close(m_fd);
    }
    FdSource(const FdSource&) = delete;
    auto operator=(const FdSource&) -> FdSource& = delete;

    auto read(char* buffer, std::size_t size) -> std::size_t override {
        for (;;) {
            const auto n = ::read(m_fd, buffer, size);
            if (n >= 0) {
                m_progress.advance(static_cast<std::uint64_t>(n));
                return static_cast<std::size_t>(n);
            }
            if (errno != EINTR) throw std::runtime_error(errno_message("cannot read", m_name));
        }
    }

private:
    int m_fd;
    std::string m_name;
    bool m_owned = false;
    Progress& m_progress;
};

class GzSource final : public ByteSource {
public:
    GzSource(const fs::path& path, Progress& progress)
        : m_file(::gzopen(path.c_str(), "rb")), m_name(path.string()), m_progress(progress) {
        if (m_file == nullptr) throw std::runtime_error(errno_message("cannot open", m_name));
        ::gzbuffer(m_file, gzip_buffer_bytes);
    }
    ~GzSource() override { ::gzclose(m_file); }
    GzSource(const GzSource&) = delete;
    auto operator=(const GzSource&) -> GzSource& = delete;

    auto read(char* buffer, std::size_t size) -> std::size_t override {
        const auto limit = static_cast<unsigned>(std::min<std::size_t>(size, INT_MAX));
        const int n = ::gzread(m_file, buffer, limit);
        if (n < 0) throw std::runtime_error("cannot read " + m_name + ": " + error_text());
        if (n == 0) {
            // A truncated stream ends like a complete one; only gzerror tells.
            int code = Z_OK;
            ::gzerror(m_file, &code);
            if (code != Z_OK) throw std::runtime_error("cannot read " + m_name + ": " + error_text());
        }
        // Progress counts compressed bytes, the unit of the progress total.
        const auto offset = ::gzoffset(m_file);
        if (offset > m_offset) {
            m_progress.advance(static_cast<std::uint64_t>(offset - m_offset));
            m_offset = offset;
        }
        return static_cast<std::size_t>(n);
    }

private:
    [[nodiscard]] auto error_text() -> std::string {
        int code = Z_OK;
        const char* text = ::gzerror(m_file, &code);
        if (code == Z_ERRNO) return std::strerror(errno);
        return text != nullptr ? text : "gzip error";
    }

    gzFile m_file;
    std::string m_name;
    Progress& m_progress;
    z_off_t m_offset = 0;
};

[[nodiscard]] auto open_source(const InputFile& input, Progress& progress) -> std::unique_ptr<ByteSource> {
    if (input.path.empty()) return std::make_unique<FdSource>(progress);
    if (input.gzip) return std::make_unique<GzSource>(input.path, progress);
    return std::make_unique<FdSource>(input.path, progress);
}

/// Calls on_line for each line (without its "\n"), or on_too_long for a line
/// over max_line_bytes, which is skipped up to its newline without being kept
/// (a huge line, or a gzip bomb, never grows memory). Copies only lines that
/// straddle two chunks.
template <typename OnLine, typename OnTooLong>
void for_each_line(ByteSource& source, std::size_t max_line_bytes, OnLine&& on_line, OnTooLong&& on_too_long) {
    std::vector<char> chunk(chunk_bytes);
    std::string carry;
    bool skipping = false;  // inside a line already reported as too long
    while (const auto n = source.read(chunk.data(), chunk.size())) {
        const char* begin = chunk.data();
        const char* const end = begin + n;
        while (const auto* newline = static_cast<const char*>(
                   std::memchr(begin, '\n', static_cast<std::size_t>(end - begin)))) {
            const auto length = carry.size() + static_cast<std::size_t>(newline - begin);
            if (skipping) {
                skipping = false;
            } else if (length > max_line_bytes) {
                on_too_long();
            } else if (carry.empty()) {
                on_line(std::string_view(begin, static_cast<std::size_t>(newline - begin)));
            } else {
                carry.append(begin, newline);
                on_line(std::string_view(carry));
            }
            carry.clear();
            begin = newline + 1;
        }
        if (skipping) continue;
        if (carry.size() + static_cast<std::size_t>(end - begin) > max_line_bytes) {
            on_too_long();
            carry.clear();
            carry.shrink_to_fit();
            skipping = true;
        } else {
            carry.append(begin, end);
        }
    }
    if (!carry.empty()) on_line(std::string_view(carry));
}

[[nodiscard]] auto is_blank(std::string_view line) -> bool {
    return line.find_first_not_of(" \t\r\f\v") == std::string_view::npos;
}

/// A parse error message fit for a report: no library prefix, no meaningless
/// "line 1", a bounded excerpt of the input, and printable ASCII only (the
/// excerpt may hold the very bytes that were not UTF-8).
[[nodiscard]] auto shorten_parse_error(std::string message) -> std::string {
    if (message.starts_with("[json.exception.")) {
        if (const auto close = message.find("] "); close != std::string::npos) message.erase(0, close + 2);
    }
    constexpr std::string_view at_line_1 = "parse error at line 1, ";
    if (message.starts_with(at_line_1)) message.erase(0, at_line_1.size());

    const bool cut = message.size() > max_reason_bytes;
    if (cut) message.resize(max_reason_bytes);
    std::string out;
    out.reserve(message.size() + 8);
    for (const char c : message) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7F) {
            out += c;
        } else {
            constexpr std::string_view hex = "0123456789abcdef";
            out += "\\x";
            out += hex[byte >> 4U];
            out += hex[byte & 0x0FU];
        }
    }
    if (cut) out += "...";
    return out;
}

[[nodiscard]] auto too_long_reason(std::string_view what, std::size_t max_bytes) -> std::string {
    return std::string(what) + " longer than " + std::to_string(max_bytes) + " bytes (--max-record-bytes)";
}

void read_jsonl(ByteSource& source, const std::string& name, std::size_t max_record_bytes, const RecordSink& on_record,
                const BadRecordSink& on_bad) {
    std::uint64_t line_number = 0;
    auto origin_of_line = [&] { return name + ":" + std::to_string(line_number); };
    for_each_line(
        source, max_record_bytes,
        [&](std::string_view line) {
            ++line_number;
            if (is_blank(line)) return;
            auto origin = origin_of_line();
            nlohmann::json value;
            try {
                value = nlohmann::json::parse(line.begin(), line.end());
            } catch (const nlohmann::json::parse_error& e) {
                on_bad(BadRecord{std::move(origin), "invalid JSON: " + shorten_parse_error(e.what())});
                return;
            }
            if (!value.is_object()) {
                on_bad(BadRecord{std::move(origin), std::string("not a JSON object (a ") + value.type_name() + ")"});
                return;
            }
            on_record(RawRecord{std::move(value), std::move(origin)});
        },
        [&] {
            ++line_number;
            on_bad(BadRecord{origin_of_line(), too_long_reason("line", max_record_bytes)});
        });
}

void read_text(ByteSource& source, const InputFile& input, std::size_t max_record_bytes, const TextFields& fields,
               const RecordSink& on_record, const BadRecordSink& on_bad) {
    auto origin = input.path.string();
    std::string content;
    std::error_code ec;
    if (const auto size = fs::file_size(input.path, ec); !ec && !input.gzip) {
        // Refused before reading a byte of it.
        if (size > max_record_bytes) {
            on_bad(BadRecord{std::move(origin), too_long_reason("file", max_record_bytes)});
            return;
        }
        content.reserve(static_cast<std::size_t>(size));
    }
    // Compressed, or grown since: bounded while reading.
    std::vector<char> chunk(chunk_bytes);
    while (const auto n = source.read(chunk.data(), chunk.size())) {
        if (content.size() + n > max_record_bytes) {
            on_bad(BadRecord{std::move(origin), too_long_reason("file", max_record_bytes)});
            return;
        }
        content.append(chunk.data(), n);
    }

    TextArticle article;
    try {
        article = parse_text_article(content);
    } catch (const std::invalid_argument& e) {
        on_bad(BadRecord{std::move(origin), e.what()});
        return;
    }
    on_record(RawRecord{text_record(std::move(article), input.id, fields), std::move(origin)});
}

}  // namespace

auto total_input_bytes(const std::vector<std::string>& inputs) -> std::uint64_t {
    std::uint64_t total = 0;
    for (const auto& input : inputs) {
        for (const auto& file : resolve(input, SourceOptions{})) {
            if (file.path.empty()) continue;  // stdin: size unknown
            std::error_code ec;
            const auto size = fs::file_size(file.path, ec);
            if (!ec) total += size;  // a pipe or device has no size
        }
    }
    return total;
}

void read_inputs(const std::vector<std::string>& inputs, const SourceOptions& options, const RecordSink& on_record,
                 const BadRecordSink& on_bad, const ProgressSink& on_progress) {
    // Resolve everything first so a mistyped path fails before any work is done.
    std::vector<InputFile> files;
    for (const auto& input : inputs) {
        auto resolved = resolve(input, options);
        files.insert(files.end(), std::make_move_iterator(resolved.begin()), std::make_move_iterator(resolved.end()));
    }

    Progress progress(on_progress);
    for (const auto& file : files) {
        auto source = open_source(file, progress);
        if (file.format == Format::text) {
            read_text(*source, file, options.max_record_bytes, options.text_fields, on_record, on_bad);
        } else {
            read_jsonl(*source, file.path.empty() ? std::string("-") : file.path.string(), options.max_record_bytes,
                       on_record, on_bad);
        }
    }
    progress.finish();
}

}  // namespace broadsheet::indexer
