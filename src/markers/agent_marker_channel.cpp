// SPDX-License-Identifier: BSD-3-Clause
#include "markers/agent_marker_channel.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"

namespace jt {

namespace {

constexpr const char* kDefaultAgentSocket = "/run/jouletrace/agent.sock";

bool is_identifier_text(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

int milliseconds_left(std::int64_t deadline_ns) {
  const std::int64_t left_ns = deadline_ns - monotonic_ns();
  if (left_ns <= 0) return 0;
  return static_cast<int>((left_ns + 999'999) / 1'000'000);
}

std::string errno_text(int error) { return std::strerror(error); }

// A UNIX socket's connect() does not return EINPROGRESS: when the listener's backlog is full it
// says EAGAIN at once, so the wait is a retry at short intervals until the deadline.
Result<void> connect_until(int fd, const sockaddr_un& address, const std::string& path,
                           std::int64_t deadline_ns) {
  for (;;) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
      return {};
    }
    const int error = errno;
    if (error == EINTR) continue;
    if (error == EISCONN) return {};
    if (error != EAGAIN && error != EINPROGRESS) {
      return make_error(ErrorKind::kUnreachable,
                        "cannot connect to the agent at " + path + ": " + errno_text(error),
                        "is `jouletrace agent` running on this node (docs/AGENT.md)?");
    }
    if (milliseconds_left(deadline_ns) == 0) {
      return make_error(ErrorKind::kTimeout,
                        "the agent at " + path + " accepted no connection in time",
                        "the agent is overloaded or stuck");
    }
    const timespec pause{0, 200'000};
    ::nanosleep(&pause, nullptr);
  }
}

}  // namespace

Result<AgentMarkerTarget> parse_agent_marker_target(std::string_view text) {
  const std::size_t dot = text.rfind('.');
  if (dot == std::string_view::npos || !is_identifier_text(text.substr(0, dot)) ||
      !is_identifier_text(text.substr(dot + 1))) {
    return make_error(ErrorKind::kInvalidData, "JOULETRACE_MARKERS=agent:" + std::string(text) +
                                                   " is not of the form agent:<job_id>.<step_id>");
  }
  return AgentMarkerTarget{std::string(text.substr(0, dot)), std::string(text.substr(dot + 1))};
}

std::string agent_markers_request(const AgentMarkerTarget& target) {
  const nlohmann::json request = {
      {"v", 1}, {"op", "markers"}, {"job_id", target.job_id}, {"step_id", target.step_id}};
  return request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<UniqueFd> connect_unix_stream(const std::string& path, int timeout_ms) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address.sun_path) {
    return make_error(ErrorKind::kInvalidData, "the agent socket path '" + path +
                                                   "' is empty or too long for a UNIX socket");
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) {
    return make_error(ErrorKind::kIo, "cannot create a UNIX socket: " + errno_text(errno));
  }
  const std::int64_t deadline_ns = monotonic_ns() + std::int64_t{timeout_ms} * 1'000'000;
  if (auto connected = connect_until(fd.get(), address, path, deadline_ns); !connected) {
    return std::unexpected(connected.error());
  }
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return make_error(ErrorKind::kIo,
                      "cannot make the agent socket blocking: " + errno_text(errno));
  }
  return fd;
}

Result<void> send_within(int fd, std::string_view data, int timeout_ms) {
  const std::int64_t deadline_ns = monotonic_ns() + std::int64_t{timeout_ms} * 1'000'000;
  std::size_t offset = 0;
  while (offset < data.size()) {
    pollfd ready{fd, POLLOUT, 0};
    const int polled = ::poll(&ready, 1, milliseconds_left(deadline_ns));
    if (polled < 0 && errno == EINTR) continue;
    if (polled == 0) return make_error(ErrorKind::kTimeout, "the agent took no data in time");
    const ssize_t n =
        ::send(fd, data.data() + offset, data.size() - offset, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      offset += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR || errno == EAGAIN) continue;
    return make_error(ErrorKind::kIo, "writing to the agent failed: " + errno_text(errno));
  }
  return {};
}

void close_agent_marker_channel(UniqueFd& fd, int wait_ms) {
  if (!fd.valid()) return;
  pollfd readable{fd.get(), POLLIN, 0};
  (void)::poll(&readable, 1, wait_ms);
  char discarded[512];
  while (::recv(fd.get(), discarded, sizeof discarded, MSG_DONTWAIT) > 0) {
  }
  fd.reset();
}

std::string agent_socket_from_environment() {
  const char* path = std::getenv("JOULETRACE_AGENT");
  return (path != nullptr && *path != '\0') ? std::string(path) : std::string(kDefaultAgentSocket);
}

Result<UniqueFd> open_agent_marker_channel(std::string_view target_text, int timeout_ms) {
  auto target = parse_agent_marker_target(target_text);
  if (!target) return std::unexpected(target.error());
  auto fd = connect_unix_stream(agent_socket_from_environment(), timeout_ms);
  if (!fd) return std::unexpected(fd.error());
  if (auto sent = send_within(fd->get(), agent_markers_request(*target), timeout_ms); !sent) {
    return std::unexpected(sent.error());
  }
  return fd;
}

}  // namespace jt
