#include "xapian_nodes.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace broadsheet::testing {

auto loopback(int port) -> sockaddr_in {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    return address;
}

auto tcpsrv_bin() -> std::string { return BROADSHEET_XAPIAN_TCPSRV; }
auto replicate_server_bin() -> std::string { return BROADSHEET_XAPIAN_REPLICATE_SERVER; }
auto replicate_bin() -> std::string { return BROADSHEET_XAPIAN_REPLICATE; }

auto have_xapian_tools(const std::string& skipped) -> bool {
    if (!tcpsrv_bin().empty() && !replicate_server_bin().empty() && !replicate_bin().empty()) return true;
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") FAIL("xapian-tools is not installed (scripts/install-deps)");
    MESSAGE("xapian-tools is not installed (scripts/install-deps): " << skipped);
    return false;
}

auto free_port() -> int {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    auto address = loopback(0);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

auto accepts_connections(int port) -> bool {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    auto address = loopback(port);
    const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return connected;
}

// ---- TcpsrvNode ---------------------------------------------------------------

TcpsrvNode::TcpsrvNode(fs::path database, fs::path logs, int port, std::vector<std::string> extra)
    : m_database(std::move(database)), m_logs(std::move(logs)), m_extra(std::move(extra)) {
    start(port);
}

TcpsrvNode::~TcpsrvNode() { kill(); }

auto TcpsrvNode::open() const -> Xapian::Database {
    return Xapian::Remote::open("127.0.0.1", static_cast<unsigned>(m_port), 10000);
}

void TcpsrvNode::kill() {
    if (!m_process) return;
    ::killpg(m_process->pid(), SIGKILL);
    (void)m_process->wait(std::chrono::seconds(10));
    m_process.reset();
}

void TcpsrvNode::freeze() const { ::killpg(m_process->pid(), SIGSTOP); }
void TcpsrvNode::thaw() const { ::killpg(m_process->pid(), SIGCONT); }

void TcpsrvNode::restart() {
    kill();
    start(m_port);
}

void TcpsrvNode::start(int port) {
    for (int attempt = 0; attempt < 50; ++attempt) {
        m_port = port != 0 ? port : free_port();
        std::vector<std::string> argv{"/usr/bin/setsid", tcpsrv_bin(),           "--interface", "127.0.0.1",
                                      "--port",          std::to_string(m_port), "--quiet"};
        argv.insert(argv.end(), m_extra.begin(), m_extra.end());
        argv.push_back(m_database.string());
        m_process = std::make_unique<Process>(argv, m_logs / ("tcpsrv-" + std::to_string(m_port) + "-" +
                                                              std::to_string(attempt) + ".log"));
        // Ready once a connection is answered; a node that exits (its port
        // taken, or not yet free again after a restart) is started again.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (std::chrono::steady_clock::now() < deadline) {
            try {
                (void)Xapian::Remote::open("127.0.0.1", static_cast<unsigned>(m_port), 5000).get_doccount();
                return;
            } catch (const Xapian::NetworkError&) {}
            if (m_process->wait(std::chrono::milliseconds(10))) break;
        }
    }
    FAIL("xapian-tcpsrv did not start for " << m_database.string() << "; log:\n" << m_process->log());
}

// ---- ReplicationMaster ----------------------------------------------------------

ReplicationMaster::ReplicationMaster(const fs::path& masters, const fs::path& logs) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        m_port = free_port();
        m_process = std::make_unique<Process>(std::vector<std::string>{replicate_server_bin(), "--interface",
                                                                       "127.0.0.1", "--port", std::to_string(m_port),
                                                                       masters.string()},
                                              logs / ("replicate-server-" + std::to_string(m_port) + ".log"));
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < deadline) {
            if (accepts_connections(m_port)) return;
            if (m_process->wait(std::chrono::milliseconds(10))) break;
        }
    }
    FAIL("xapian-replicate-server did not start; log:\n" << m_process->log());
}

auto ReplicationMaster::replicate(const std::string& master, const fs::path& replica) const -> std::string {
    const auto result = pass(master, replica);
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    return result.output;
}

auto ReplicationMaster::pass(const std::string& master, const fs::path& replica) const -> RunResult {
    return run({replicate_bin(), "--host", "127.0.0.1", "--port", std::to_string(m_port), "--master", master,
                "--one-shot", "--reader-time", "0", "--verbose", replica.string()});
}

}  // namespace broadsheet::testing
