#include "broadsheet/schema/generations.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include "broadsheet/schema/strings.hpp"

namespace broadsheet::schema {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t min_digits = 6;
constexpr std::size_t max_digits = max_generation_name_bytes - generation_prefix.size();
// More than a name and its whitespace: CURRENT is not read further.
constexpr std::size_t max_current_bytes = 256;

auto errno_error(const std::string& what) -> std::system_error { return {errno, std::generic_category(), what}; }

// A short, printable rendering of what CURRENT held, for the error message.
auto quoted(std::string_view text) -> std::string {
    constexpr std::size_t shown = 40;
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size() && i < shown; ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') {
            out += text[i];
        } else {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
            out += escaped;
        }
    }
    out += text.size() > shown ? "\"..." : "\"";
    return out;
}

}  // namespace

auto generation_name(std::int64_t number) -> std::string {
    if (number < 1) throw std::invalid_argument("a generation number is at least 1");
    char digits[32];
    const int length = std::snprintf(digits, sizeof digits, "%06lld", static_cast<long long>(number));
    if (length < 0 || static_cast<std::size_t>(length) > max_digits)
        throw std::invalid_argument("a generation number has at most 18 digits");
    return std::string(generation_prefix) + digits;
}

auto generation_number(std::string_view name) -> std::optional<std::int64_t> {
    if (!name.starts_with(generation_prefix)) return std::nullopt;
    const auto digits = name.substr(generation_prefix.size());
    if (digits.size() < min_digits || digits.size() > max_digits) return std::nullopt;
    // Zero-padded to six digits and no further, as generation_name writes it.
    if (digits.size() > min_digits && digits.front() == '0') return std::nullopt;
    std::int64_t number = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (error != std::errc() || end != digits.data() + digits.size() || number < 1) return std::nullopt;
    return number;
}

auto read_current_generation(const fs::path& root) -> std::optional<std::string> {
    const auto path = root / current_file_name;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        throw errno_error("open " + path.string());
    }
    std::string content(max_current_bytes + 1, '\0');
    std::size_t filled = 0;
    while (filled < content.size()) {
        const auto got = ::read(fd, content.data() + filled, content.size() - filled);
        if (got == 0) break;
        if (got < 0) {
            if (errno == EINTR) continue;
            const int saved = errno;
            ::close(fd);
            errno = saved;
            throw errno_error("read " + path.string());
        }
        filled += static_cast<std::size_t>(got);
    }
    ::close(fd);
    content.resize(filled);
    if (filled > max_current_bytes)
        throw InvalidCurrentError("CURRENT is longer than " + std::to_string(max_current_bytes) +
                                  " bytes, so it names no generation");
    const auto name = trim(content);
    if (name.empty()) throw InvalidCurrentError("CURRENT is empty: it names no generation");
    if (!generation_number(name))
        throw InvalidCurrentError("CURRENT names no generation: " + quoted(name) + " (expected a name such as " +
                                  generation_name(1) + ")");
    return std::string(name);
}

void replace_file(const fs::path& path, std::string_view content, const fs::path& tmp) {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw errno_error("open " + tmp.string());
    std::size_t written = 0;
    while (written < content.size()) {
        const auto put = ::write(fd, content.data() + written, content.size() - written);
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) {
            const int saved = put < 0 ? errno : EIO;
            ::close(fd);
            errno = saved;
            throw errno_error("write " + tmp.string());
        }
        written += static_cast<std::size_t>(put);
    }
    // The content must be on disk before the rename can make it the file.
    const int synced = ::fsync(fd);
    const int saved = errno;
    if (::close(fd) != 0 && synced == 0) throw errno_error("close " + tmp.string());
    if (synced != 0) {
        errno = saved;
        throw errno_error("fsync " + tmp.string());
    }
    fs::rename(tmp, path);
}

void write_current_generation(const fs::path& root, std::string_view generation) {
    if (!generation_number(generation)) throw std::invalid_argument("not a generation name: " + quoted(generation));
    replace_file(root / current_file_name, std::string(generation) + '\n',
                 root / (std::string(current_file_name) + ".tmp"));
    sync_path(root);
}

void sync_path(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw errno_error("open " + path.string());
    const int rc = ::fsync(fd);
    const int saved = errno;
    ::close(fd);
    if (rc != 0) {
        errno = saved;
        throw errno_error("fsync " + path.string());
    }
}

}  // namespace broadsheet::schema
