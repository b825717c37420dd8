#include "broadsheet/schema/shards.hpp"

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "broadsheet/schema/generations.hpp"

namespace broadsheet::schema {

namespace fs = std::filesystem;

namespace {

// A manifest of max_shards shards is far below this; anything longer is not one.
constexpr std::uintmax_t max_manifest_bytes = std::uintmax_t{1} << 20;
constexpr int manifest_format = 1;

[[noreturn]] void fail(const std::string& why) {
    throw InvalidShardManifestError(std::string(shard_manifest_name) + ": " + why);
}

void check_count(std::uint32_t count) {
    if (count == 0 || count > max_shards)
        throw std::invalid_argument("a shard count is between 1 and " + std::to_string(max_shards));
}

}  // namespace

auto shard_of(std::string_view id, std::uint32_t count) -> std::uint32_t {
    check_count(count);
    return static_cast<std::uint32_t>(fnv1a_64(id) % count);
}

auto shard_name(std::uint32_t index) -> std::string {
    if (index >= max_shards) throw std::invalid_argument("a shard number is below " + std::to_string(max_shards));
    char name[16];
    std::snprintf(name, sizeof name, "shard-%02u", index);
    return name;
}

auto ShardManifest::shard_paths(const fs::path& generation_dir) const -> std::vector<fs::path> {
    std::vector<fs::path> paths;
    paths.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) paths.push_back(generation_dir / shard_name(i));
    return paths;
}

auto ShardManifest::to_json() const -> std::string {
    nlohmann::json names = nlohmann::json::array();
    for (std::uint32_t i = 0; i < count; ++i) names.push_back(shard_name(i));
    const nlohmann::json json{
        {"format", manifest_format},    {"generation", generation}, {"shards", count},        {"hash", shard_hash_name},
        {"front", front_database_name}, {"names", names},           {"documents", documents},
    };
    return json.dump(2) + "\n";
}

auto ShardManifest::from_json(std::string_view text) -> ShardManifest {
    const auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object()) fail("not a JSON object");
    const auto format = json.find("format");
    if (format == json.end() || !format->is_number_integer() || format->get<int>() != manifest_format)
        fail("unknown format (this build reads format " + std::to_string(manifest_format) + ")");
    const auto hash = json.find("hash");
    if (hash == json.end() || !hash->is_string() || hash->get<std::string>() != shard_hash_name)
        fail(R"(unknown hash (this build knows ")" + std::string(shard_hash_name) + R"("))");
    const auto shards = json.find("shards");
    if (shards == json.end() || !shards->is_number_unsigned() || shards->get<std::uint64_t>() < 2 ||
        shards->get<std::uint64_t>() > max_shards)
        fail(R"("shards" is not a count between 2 and )" + std::to_string(max_shards));
    ShardManifest manifest;
    manifest.count = shards->get<std::uint32_t>();
    const auto generation = json.find("generation");
    if (generation == json.end() || !generation->is_string() || !generation_number(generation->get<std::string>()))
        fail(R"("generation" is not a generation name)");
    manifest.generation = generation->get<std::string>();
    // Names and the front database are derived, not configurable: a manifest
    // naming others was not written by this contract.
    const auto names = json.find("names");
    if (names == json.end() || !names->is_array() || names->size() != manifest.count)
        fail(R"("names" does not list one name per shard)");
    for (std::uint32_t i = 0; i < manifest.count; ++i)
        if (!(*names)[i].is_string() || (*names)[i].get<std::string>() != shard_name(i))
            fail("shard " + std::to_string(i) + " is not named " + shard_name(i));
    const auto front = json.find("front");
    if (front == json.end() || !front->is_string() || front->get<std::string>() != front_database_name)
        fail(R"("front" is not ")" + std::string(front_database_name) + '"');
    const auto documents = json.find("documents");
    if (documents == json.end() || !documents->is_array() || documents->size() != manifest.count)
        fail(R"("documents" does not give one count per shard)");
    for (const auto& count : *documents) {
        if (!count.is_number_unsigned()) fail(R"("documents" holds something other than counts)");
        manifest.documents.push_back(count.get<std::uint64_t>());
    }
    return manifest;
}

auto read_shard_manifest(const fs::path& generation_dir) -> std::optional<ShardManifest> {
    const auto path = generation_dir / shard_manifest_name;
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) {
        if (ec == std::errc::no_such_file_or_directory) return std::nullopt;
        throw std::system_error(ec, "stat " + path.string());
    }
    if (size > max_manifest_bytes) throw InvalidShardManifestError(path.string() + " is too long to be a manifest");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::system_error(errno, std::generic_category(), "open " + path.string());
    std::string text(static_cast<std::size_t>(size), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    try {
        return ShardManifest::from_json(text);
    } catch (const InvalidShardManifestError& e) {
        throw InvalidShardManifestError(generation_dir.string() + "/" + e.what());
    }
}

void write_shard_manifest(const fs::path& generation_dir, const ShardManifest& manifest) {
    const auto path = generation_dir / shard_manifest_name;
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << manifest.to_json();
        out.flush();
        if (!out) throw std::system_error(errno, std::generic_category(), "write " + path.string());
    }
    sync_path(path);
}

}  // namespace broadsheet::schema
