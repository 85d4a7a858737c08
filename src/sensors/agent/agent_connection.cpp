// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/agent/agent_connection.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "sensors/agent/agent_wire.hpp"

namespace jt::agent_wire {

using nlohmann::json;

Result<AgentConnection> AgentConnection::open(const std::string& path) {
  AgentConnection connection;
  connection.path_ = path;
  if (auto ok = connection.connect(); !ok) return std::unexpected(ok.error());
  return connection;
}

Result<json> AgentConnection::call(json request, double wait_s) {
  if (!fd_.valid()) {
    if (auto ok = connect(); !ok) return std::unexpected(ok.error());
  }
  request["v"] = agent_wire::kProtocolVersion;
  const std::string line = request.dump() + "\n";
  timeval tv{static_cast<time_t>(wait_s), static_cast<suseconds_t>(std::fmod(wait_s, 1.0) * 1e6)};
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::send(fd_.get(), line.data(), line.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(line.size())) {
    return broken("cannot send to the agent");
  }
  for (;;) {
    if (const auto newline = buffer_.find('\n'); newline != std::string::npos) {
      json answer = json::parse(buffer_.substr(0, newline), nullptr, false);
      buffer_.erase(0, newline + 1);
      if (answer.is_discarded() || !answer.is_object()) {
        return broken("the agent's answer is not JSON");
      }
      return answer;
    }
    char chunk[8192];
    const ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
    if (n <= 0)
      return broken(n == 0 ? "the agent closed the connection"
                           : "no answer from the agent in time");
    buffer_.append(chunk, static_cast<std::size_t>(n));
    if (buffer_.size() > std::size_t{16} * 1024 * 1024)
      return broken("the agent's answer is too long");
  }
}

Result<void> AgentConnection::connect() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) {
    return make_error(ErrorKind::kInvalidData, "the agent's socket path is too long");
  }
  std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
  fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd_.valid() ||
      ::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    fd_.reset();
    return make_error(
        err == EACCES ? ErrorKind::kPermissionDenied : ErrorKind::kUnreachable,
        fmt::format("cannot connect to the agent at {}: {}", path_, std::strerror(err)));
  }
  buffer_.clear();
  return {};
}

std::unexpected<Error> AgentConnection::broken(const char* what) {
  fd_.reset();  // the next call reconnects
  return make_error(ErrorKind::kIo, what);
}

}  // namespace jt::agent_wire
