#include "broadsheet/indexer/generations.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string_view>
#include <system_error>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace broadsheet::indexer {

namespace {

constexpr std::string_view staging_prefix = ".staging-";

auto errno_error(const std::string& what) -> std::system_error { return {errno, std::generic_category(), what}; }

}  // namespace

IndexRoot::IndexRoot(fs::path root) : m_root(std::move(root)) {
    fs::create_directories(m_root);
    auto lock_path = m_root / ".lock";
    m_lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m_lock_fd < 0) throw errno_error("open " + lock_path.string());
    // Writers take turns; the server never takes this lock. Say so when we
    // wait, or a queued command looks hung.
    if (::flock(m_lock_fd, LOCK_EX | LOCK_NB) == 0) return;
    if (errno != EWOULDBLOCK && errno != EINTR) throw errno_error("lock " + lock_path.string());
    spdlog::warn("waiting for another indexer command to finish ({} is locked)", lock_path.string());
    while (::flock(m_lock_fd, LOCK_EX) != 0) {
        if (errno != EINTR) throw errno_error("lock " + lock_path.string());
    }
}

IndexRoot::~IndexRoot() {
    if (m_lock_fd >= 0) ::close(m_lock_fd);  // releases the flock
}

auto IndexRoot::current() const -> std::optional<std::string> {
    try {
        return read_current_generation(m_root);
    } catch (const schema::InvalidCurrentError& e) {
        throw schema::InvalidCurrentError("index root " + m_root.string() + ": " + e.what());
    }
}

auto IndexRoot::path_of(const std::string& generation) const -> fs::path { return m_root / generation; }

auto IndexRoot::generations() const -> std::vector<std::string> {
    std::vector<std::pair<std::int64_t, std::string>> found;
    for (const auto& entry : fs::directory_iterator(m_root)) {
        auto name = entry.path().filename().string();
        if (auto number = schema::generation_number(name); number && entry.is_directory())
            found.emplace_back(*number, name);
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> names;
    for (auto& [number, name] : found) names.push_back(std::move(name));
    return names;
}

auto IndexRoot::next_generation() const -> std::string {
    std::int64_t next = 1;
    for (const auto& name : generations()) next = std::max(next, *schema::generation_number(name) + 1);
    try {
        if (auto live = current()) next = std::max(next, *schema::generation_number(*live) + 1);
    } catch (const schema::InvalidCurrentError& e) {
        spdlog::warn("{}; the build replaces it", e.what());
    }
    return schema::generation_name(next);
}

auto IndexRoot::prepare_staging(const std::string& generation) const -> fs::path {
    for (const auto& entry : fs::directory_iterator(m_root)) {
        if (entry.path().filename().string().starts_with(staging_prefix)) fs::remove_all(entry.path());
    }
    auto staging = m_root / (std::string(staging_prefix) + generation);
    fs::create_directory(staging);
    return staging;
}

void IndexRoot::publish(const std::string& generation, const fs::path& staging) const {
    auto target = path_of(generation);
    fs::rename(staging, target);
    schema::write_current_generation(m_root, generation);
}

auto IndexRoot::prune(std::chrono::seconds grace) const -> std::vector<std::string> {
    auto live = current();
    auto all = generations();
    std::vector<std::string> removed;
    auto now = fs::file_time_type::clock::now();
    // A generation retired when its successor was built, so the successor's
    // modification time is when it stopped being current.
    for (std::size_t i = 0; i + 1 < all.size(); ++i) {
        if (live && all[i] == *live) continue;
        std::error_code ec;
        auto retired = fs::last_write_time(path_of(all[i + 1]), ec);
        if (ec || now - retired < grace) continue;
        fs::remove_all(path_of(all[i]), ec);
        if (!ec) removed.push_back(all[i]);
    }
    return removed;
}

}  // namespace broadsheet::indexer
