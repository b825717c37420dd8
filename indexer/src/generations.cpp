#include "broadsheet/indexer/generations.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <set>
#include <string_view>
#include <system_error>

#include <spdlog/spdlog.h>

#include "broadsheet/schema/shards.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace broadsheet::indexer {

namespace {

constexpr std::string_view staging_prefix = ".staging-";

auto errno_error(const std::string& what) -> std::system_error { return {errno, std::generic_category(), what}; }

// Xapian's stub database file: one line naming a database, relative to the stub.
auto stub_text(const fs::path& database, const fs::path& stub_dir) -> std::string {
    return "auto " + database.lexically_normal().lexically_relative(stub_dir.lexically_normal()).generic_string() +
           "\n";
}

auto read_small_file(const fs::path& path) -> std::optional<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::string text(256, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
}

// Written and synced beside the target, then renamed over it: a reader
// (xapian-replicate-server opens the stub afresh per request) sees the old
// stub or the new one.
void replace_file(const fs::path& path, const std::string& content) {
    schema::replace_file(path, content, path.parent_path() / ("." + path.filename().string() + ".tmp"));
}

}  // namespace

auto masters_of(const fs::path& generation_dir) -> std::vector<Master> {
    auto manifest = schema::read_shard_manifest(generation_dir);
    if (!manifest) return {Master{std::string(unsharded_master_name), generation_dir}};
    std::vector<Master> masters;
    masters.push_back(Master{std::string(schema::front_database_name), generation_dir / schema::front_database_name});
    for (std::uint32_t k = 0; k < manifest->count; ++k) {
        auto name = schema::shard_name(k);
        masters.push_back(Master{name, generation_dir / name});
    }
    return masters;
}

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
    names.reserve(found.size());
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
    // After CURRENT, so a replica never follows a generation that is not live.
    point_masters_at(generation);
}

void IndexRoot::point_masters_at(const std::string& generation) const {
    const auto dir = m_root / masters_directory_name;
    fs::create_directories(dir);
    std::set<std::string> names;
    bool changed = false;
    for (const auto& master : masters_of(path_of(generation))) {
        names.insert(master.name);
        const auto stub = dir / master.name;
        const auto text = stub_text(master.database, dir);
        if (read_small_file(stub) == text) continue;
        replace_file(stub, text);
        changed = true;
    }
    // Ours: stubs of databases this generation lacks, and dead temporaries.
    std::vector<fs::path> stale;
    for (const auto& entry : fs::directory_iterator(dir))
        if (!names.contains(entry.path().filename().string())) stale.push_back(entry.path());
    for (const auto& path : stale) fs::remove_all(path);
    if (!stale.empty()) changed = true;
    if (changed) sync_path(dir);
}

auto IndexRoot::master_generations() const -> std::vector<std::string> {
    std::set<std::string> found;
    const auto dir = m_root / masters_directory_name;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        auto text = read_small_file(entry.path());
        if (!text || !text->starts_with("auto ")) continue;
        auto line = std::string_view(*text).substr(5);
        line = line.substr(0, line.find('\n'));
        // The first part of the named path below the root is the generation.
        const auto relative = (dir / line).lexically_normal().lexically_relative(m_root.lexically_normal());
        if (relative.empty()) continue;
        auto first = relative.begin()->string();
        if (schema::generation_number(first)) found.insert(std::move(first));
    }
    return {found.begin(), found.end()};
}

auto IndexRoot::prune(std::chrono::seconds grace) const -> std::vector<std::string> {
    auto live = current();
    auto all = generations();
    const auto named = master_generations();
    std::vector<std::string> removed;
    auto now = fs::file_time_type::clock::now();
    // A generation retired when its successor was built, so the successor's
    // modification time is when it stopped being current.
    for (std::size_t i = 0; i + 1 < all.size(); ++i) {
        if (live && all[i] == *live) continue;
        // A replica may still be copying it (a publish that died before the
        // masters moved on); the next publish or add points them away.
        if (std::find(named.begin(), named.end(), all[i]) != named.end()) continue;
        std::error_code ec;
        auto retired = fs::last_write_time(path_of(all[i + 1]), ec);
        if (ec || now - retired < grace) continue;
        fs::remove_all(path_of(all[i]), ec);
        if (!ec) removed.push_back(all[i]);
    }
    return removed;
}

}  // namespace broadsheet::indexer
