// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "agent/agent_service.hpp"
#include "core/result.hpp"
#include "core/unique_fd.hpp"

namespace jt::agent {

// What one client may cost the agent (docs/AGENT.md, "Limits"): nothing a client does can
// stall the sampling (its own threads) or the other clients (non-blocking I/O, bounded work).
struct ServerLimits {
  std::size_t max_connections = 256;
  std::size_t max_connections_per_user = 32;
  double requests_per_s = 100.0;  // per user, over all their connections
  double request_burst = 200.0;
  std::size_t max_pending_output =
      std::size_t{4} * 1024 * 1024;      // a client that does not read is dropped
  double partial_line_timeout_s = 10.0;  // a line begun must end within this
};

struct ServerCounters {
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;       // over the connection limits
  std::uint64_t rate_limited = 0;  // requests refused by the rate limit
  std::uint64_t dropped = 0;       // connections closed for misbehaving
  std::uint64_t requests = 0;
};

// The agent's UNIX stream socket and its one event loop: accepts, reads request lines, answers
// through AgentService, and calls `tick` on schedule. Peers are identified by the kernel.
class SocketServer {
 public:
  static Result<std::unique_ptr<SocketServer>> listen(const std::filesystem::path& path,
                                                      ServerLimits limits);
  ~SocketServer();
  SocketServer(const SocketServer&) = delete;
  SocketServer& operator=(const SocketServer&) = delete;

  // Until `stop_fd` becomes readable (a signalfd or an eventfd): serves clients and calls
  // tick(now) every tick_ns, retrying waiting requests after each and whenever `wake_fd` (an
  // eventfd; -1: none) is written, e.g. when the job store has answered.
  void run(AgentService& service, const std::function<void(std::int64_t)>& tick,
           std::int64_t tick_ns, int stop_fd, int wake_fd = -1);
  const ServerCounters& counters() const { return counters_; }
  std::size_t connections() const { return clients_.size(); }

 private:
  struct Client {
    UniqueFd fd;
    Session session;
    std::string in;
    std::string out;
    std::int64_t partial_since_ns = 0;
    bool eof = false;           // the client is done sending: answer what it asked, then close
    bool closing = false;       // close now (it misbehaved or the connection broke)
    std::uint32_t watched = 0;  // the epoll events asked for now
  };
  struct Bucket {
    double tokens = 0.0;
    std::int64_t refilled_ns = 0;
  };

  SocketServer() = default;
  void accept_all(AgentService& service, std::int64_t now_ns);
  void on_readable(Client& client, AgentService& service, std::int64_t now_ns);
  void retry_waiting(AgentService& service, std::int64_t now);
  void process_lines(Client& client, AgentService& service, std::int64_t now_ns);
  void flush(Client& client);
  bool take_token(uid_t uid, std::int64_t now_ns);
  void close_client(int fd, AgentService& service, std::int64_t now_ns);
  void watch(Client& client);

  std::filesystem::path path_;
  ServerLimits limits_;
  UniqueFd listen_fd_;
  UniqueFd epoll_fd_;
  std::map<int, std::unique_ptr<Client>> clients_;
  std::map<uid_t, std::size_t> per_user_;
  std::map<uid_t, Bucket> buckets_;
  ServerCounters counters_;
};

}  // namespace jt::agent
