#include "broadsheet/server/cluster_config.hpp"

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace broadsheet::server {

namespace {

using nlohmann::json;

// "host:port", the host a name or an IPv4 address ("[::1]:7000" for IPv6).
auto parse_endpoint(const std::string& text, const std::string& where) -> ReplicaEndpoint {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
        throw std::invalid_argument(where + R"( must be "host:port", not ")" + text + "\"");
    ReplicaEndpoint endpoint;
    endpoint.host = text.substr(0, colon);
    if (endpoint.host.front() == '[' && endpoint.host.back() == ']')
        endpoint.host = endpoint.host.substr(1, endpoint.host.size() - 2);
    const auto port = text.substr(colon + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), endpoint.port);
    if (ec != std::errc() || end != port.data() + port.size() || endpoint.port < 1 || endpoint.port > 65535)
        throw std::invalid_argument(where + " has no valid port (1 to 65535) in \"" + text + "\"");
    return endpoint;
}

auto milliseconds(const json& doc, const char* key, int fallback, int low) -> int {
    auto it = doc.find(key);
    if (it == doc.end()) return fallback;
    if (!it->is_number_integer() || it->get<long long>() < low || it->get<long long>() > 3600LL * 1000)
        throw std::invalid_argument(std::string("\"") + key + "\" must be a whole number of milliseconds from " +
                                    std::to_string(low) + " to 3600000");
    return it->get<int>();
}

auto parse_document(const std::string& text, const std::filesystem::path& file) -> ClusterConfig {
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        throw std::invalid_argument(std::string("not valid JSON: ") + e.what());
    }
    if (!doc.is_object()) throw std::invalid_argument("the file must hold a JSON object");
    static const std::set<std::string> known{"front", "shards", "timeout_ms", "connect_timeout_ms", "retry_ms"};
    for (const auto& [key, value] : doc.items())
        if (!known.contains(key)) throw std::invalid_argument("unknown key \"" + key + "\"");

    ClusterConfig config;
    auto front = doc.find("front");
    if (front == doc.end() || !front->is_string() || front->get<std::string>().empty())
        throw std::invalid_argument("\"front\" must name the local front database");
    // Relative to the file, so that a cluster file travels with its directory.
    config.front = std::filesystem::path(front->get<std::string>());
    if (config.front.is_relative()) config.front = std::filesystem::absolute(file).parent_path() / config.front;
    config.front = config.front.lexically_normal();

    auto shards = doc.find("shards");
    if (shards == doc.end() || !shards->is_array() || shards->empty())
        throw std::invalid_argument("\"shards\" must list the shards, in shard-number order");
    std::set<std::string> names;
    for (std::size_t i = 0; i < shards->size(); ++i) {
        const auto& entry = (*shards)[i];
        const auto where = "shard " + std::to_string(i);
        if (!entry.is_object()) throw std::invalid_argument(where + " must be an object with name and replicas");
        for (const auto& [key, value] : entry.items())
            if (key != "name" && key != "replicas")
                throw std::invalid_argument(where + " has an unknown key \"" += key + "\"");
        ShardConfig shard;
        auto name = entry.find("name");
        if (name == entry.end() || !name->is_string() || name->get<std::string>().empty())
            throw std::invalid_argument(where + " needs a \"name\"");
        shard.name = name->get<std::string>();
        if (!names.insert(shard.name).second)
            throw std::invalid_argument("shard \"" + shard.name + "\" is listed twice");
        auto replicas = entry.find("replicas");
        if (replicas == entry.end() || !replicas->is_array() || replicas->empty())
            throw std::invalid_argument("shard \"" + shard.name + R"(" needs "replicas": a list of "host:port")");
        for (const auto& replica : *replicas) {
            if (!replica.is_string())
                throw std::invalid_argument("a replica of shard \"" + shard.name + R"(" must be a "host:port" string)");
            shard.replicas.push_back(
                parse_endpoint(replica.get<std::string>(), "a replica of shard \"" + shard.name + "\""));
        }
        config.shards.push_back(std::move(shard));
    }
    config.timeout_ms = milliseconds(doc, "timeout_ms", config.timeout_ms, 1);
    config.connect_timeout_ms = milliseconds(doc, "connect_timeout_ms", config.connect_timeout_ms, 1);
    config.retry_ms = milliseconds(doc, "retry_ms", config.retry_ms, 0);
    return config;
}

}  // namespace

auto ClusterConfig::parse(const std::string& text, const std::filesystem::path& file) -> ClusterConfig {
    try {
        return parse_document(text, file);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("cluster file " + file.string() + ": " + e.what());
    }
}

auto ClusterConfig::read(const std::filesystem::path& file) -> ClusterConfig {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::invalid_argument("cluster file " + file.string() + ": cannot be read");
    std::ostringstream text;
    text << in.rdbuf();
    return parse(text.str(), file);
}

}  // namespace broadsheet::server
