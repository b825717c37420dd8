#pragma once
// Xapian's own network tools on loopback, as the cluster tests run them:
// xapian-tcpsrv nodes serving shards, and a xapian-replicate-server with
// one-shot xapian-replicate passes keeping replicas of the indexer's masters.

#include <memory>
#include <string>
#include <vector>

#include <netinet/in.h>
#include <xapian.h>

#include "test_support.hpp"

namespace broadsheet::testing {

/// Paths of xapian-tcpsrv, xapian-replicate-server and xapian-replicate
/// (empty when xapian-tools was not found at configure time).
[[nodiscard]] auto tcpsrv_bin() -> std::string;
[[nodiscard]] auto replicate_server_bin() -> std::string;
[[nodiscard]] auto replicate_bin() -> std::string;

/// Whether the tests that need xapian-tools run: without it they are skipped
/// (a MESSAGE says so, with `skipped`), except under CI (CI=true), which has
/// it (scripts/install-deps) and FAILs instead.
[[nodiscard]] auto have_xapian_tools(const std::string& skipped = "skipping") -> bool;

/// A loopback port nothing listens on now (the kernel's choice of an
/// ephemeral port); a server started on it may still lose a race for it, and
/// is retried.
[[nodiscard]] auto free_port() -> int;

/// The IPv4 loopback address with `port` (0: any port, for bind).
[[nodiscard]] auto loopback(int port) -> sockaddr_in;

/// Whether something accepts connections on the loopback port.
[[nodiscard]] auto accepts_connections(int port) -> bool;

/// One xapian-tcpsrv serving one database path (a directory or a stub file),
/// in a process group of its own (setsid), so that killing the node also ends
/// the processes it forked for open connections, as a machine going down would.
class TcpsrvNode {
public:
    /// `port` 0: a free one. `extra`: more xapian-tcpsrv options.
    TcpsrvNode(fs::path database, fs::path logs, int port = 0, std::vector<std::string> extra = {});
    ~TcpsrvNode();
    TcpsrvNode(const TcpsrvNode&) = delete;
    auto operator=(const TcpsrvNode&) -> TcpsrvNode& = delete;

    [[nodiscard]] auto port() const -> int { return m_port; }
    [[nodiscard]] auto endpoint() const -> std::string { return "127.0.0.1:" + std::to_string(m_port); }
    /// A new connection (and so, in the forked server process, a new open of the database).
    [[nodiscard]] auto open() const -> Xapian::Database;

    /// The node and every connection it serves, gone at once.
    void kill();
    /// Frozen: connections are still accepted by the kernel, nothing answers.
    void freeze() const;
    void thaw() const;
    /// Started again on the same port.
    void restart();

private:
    void start(int port);

    fs::path m_database;
    fs::path m_logs;
    std::vector<std::string> m_extra;
    int m_port = 0;
    std::unique_ptr<Process> m_process;
};

/// xapian-replicate-server over a directory of masters (INDEX_ROOT/masters),
/// as on the indexing machine.
class ReplicationMaster {
public:
    ReplicationMaster(const fs::path& masters, const fs::path& logs);

    /// One xapian-replicate pass of `master` into `replica`, as a node's loop
    /// runs it; REQUIREs success and returns what it printed
    /// ("Update complete: N copies, M changesets, ...").
    [[nodiscard]] auto replicate(const std::string& master, const fs::path& replica) const -> std::string;
    /// The same pass, whatever its outcome.
    [[nodiscard]] auto pass(const std::string& master, const fs::path& replica) const -> RunResult;

private:
    int m_port = 0;
    std::unique_ptr<Process> m_process;
};

}  // namespace broadsheet::testing
