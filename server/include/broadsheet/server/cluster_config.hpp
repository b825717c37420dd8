#pragma once
// The cluster file: the local front database and, in shard-number order, each
// shard's replicas (xapian-tcpsrv endpoints), with the remote timeouts.
//
//   {"front": "front", "shards": [{"name": "shard-00", "replicas": ["10.0.0.5:7000"]}],
//    "timeout_ms": 2000, "connect_timeout_ms": 500, "retry_ms": 1000}

#include <filesystem>
#include <string>
#include <vector>

namespace broadsheet::server {

/// One xapian-tcpsrv serving a copy of a shard.
struct ReplicaEndpoint {
    std::string host;
    int port = 0;
    [[nodiscard]] auto label() const -> std::string { return host + ":" + std::to_string(port); }
};

struct ShardConfig {
    std::string name;  ///< "shard-00"
    std::vector<ReplicaEndpoint> replicas;
};

/// The cluster file, read and checked.
struct ClusterConfig {
    std::filesystem::path front;      ///< the local front database (made absolute against the file's directory)
    std::vector<ShardConfig> shards;  ///< in shard-number order
    int timeout_ms = 2000;            ///< bounds each remote call (Xapian::Remote::open's timeout)
    int connect_timeout_ms = 500;     ///< bounds connecting to a replica
    int retry_ms = 1000;              ///< a failed replica is not used again before this has passed

    /// Reads a cluster file; throws std::invalid_argument naming the file and the problem.
    [[nodiscard]] static auto read(const std::filesystem::path& file) -> ClusterConfig;
    /// The same for the text of one (`file` names it in errors and anchors `front`).
    [[nodiscard]] static auto parse(const std::string& text, const std::filesystem::path& file) -> ClusterConfig;
};

}  // namespace broadsheet::server
