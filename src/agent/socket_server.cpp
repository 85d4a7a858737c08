// SPDX-License-Identifier: BSD-3-Clause
#include "agent/socket_server.hpp"

#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/clock.hpp"
#include "sensors/agent/agent_wire.hpp"

namespace jt::agent {

namespace {

Peer peer_of(int fd) {
  Peer peer;
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
    peer.uid = cred.uid;
    peer.gid = cred.gid;
    peer.pid = cred.pid;
  } else {
    // Unknown peers are nobody, never root.
    peer.uid = static_cast<uid_t>(-1);
    peer.gid = static_cast<gid_t>(-1);
  }
  std::vector<gid_t> groups(64);
  socklen_t glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) == 0) {
    groups.resize(glen / sizeof(gid_t));
    peer.groups = std::move(groups);
  }
  return peer;
}

// Best effort, never blocking: the refusal of a connection that is closed right after.
void say_and_forget(int fd, const std::string& line) {
  [[maybe_unused]] const auto sent =
      ::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

Result<std::unique_ptr<SocketServer>> SocketServer::listen(const std::filesystem::path& path,
                                                           ServerLimits limits) {
  std::unique_ptr<SocketServer> server(new SocketServer());
  server->path_ = path;
  server->limits_ = limits;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof addr.sun_path) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("socket path too long: {}", path.string()),
                      "UNIX socket paths are limited to 107 bytes");
  }
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  // A socket left by an agent that was killed is replaced; anything else is not touched.
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return make_error(ErrorKind::kInvalidData,
                        fmt::format("{} exists and is not a socket", path.string()),
                        "remove it or choose another --socket");
    }
    ::unlink(path.c_str());
  }
  server->listen_fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!server->listen_fd_.valid() ||
      ::bind(server->listen_fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) !=
          0 ||
      ::listen(server->listen_fd_.get(), 128) != 0) {
    return make_error(ErrorKind::kIo,
                      fmt::format("cannot listen on {}: {}", path.string(), std::strerror(errno)),
                      "is another agent running? check the directory's permissions");
  }
  // Every user may connect: what each one is served is the access policy's business.
  ::chmod(path.c_str(), 0666);
  server->epoll_fd_.reset(::epoll_create1(EPOLL_CLOEXEC));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = server->listen_fd_.get();
  ::epoll_ctl(server->epoll_fd_.get(), EPOLL_CTL_ADD, server->listen_fd_.get(), &ev);
  return server;
}

SocketServer::~SocketServer() {
  clients_.clear();
  if (listen_fd_.valid()) ::unlink(path_.c_str());
}

void SocketServer::watch(Client& client) {
  // A client at end of input stays readable for ever: it is no longer watched for input.
  const std::uint32_t wanted = (client.eof ? 0U : EPOLLIN | EPOLLRDHUP) |
                               (client.out.empty() ? 0U : static_cast<std::uint32_t>(EPOLLOUT));
  if (wanted == client.watched) return;
  epoll_event ev{};
  ev.events = wanted;
  ev.data.fd = client.fd.get();
  ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, client.fd.get(), &ev);
  client.watched = wanted;
}

void SocketServer::accept_all(AgentService& service, std::int64_t now_ns) {
  for (;;) {
    const int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    const Peer peer = peer_of(fd);
    const bool full = clients_.size() >= limits_.max_connections;
    if (full || per_user_[peer.uid] >= limits_.max_connections_per_user) {
      ++counters_.refused;
      say_and_forget(fd,
                     AgentService::refusal("too_many_connections",
                                           full ? "the agent serves no more connections now"
                                                : "you have too many connections open to the agent",
                                           "close idle clients and retry"));
      ::close(fd);
      continue;
    }
    ++counters_.accepted;
    ++per_user_[peer.uid];
    auto client = std::make_unique<Client>();
    client->fd.reset(fd);
    client->session.peer = peer;
    service.on_connect(client->session, now_ns);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev);
    client->watched = ev.events;
    clients_[fd] = std::move(client);
  }
}

bool SocketServer::take_token(uid_t uid, std::int64_t now_ns) {
  Bucket& b = buckets_[uid];
  if (b.refilled_ns == 0) b.tokens = limits_.request_burst;
  const double elapsed_s = ns_to_s(now_ns - b.refilled_ns);
  if (b.refilled_ns != 0)
    b.tokens = std::min(limits_.request_burst, b.tokens + elapsed_s * limits_.requests_per_s);
  b.refilled_ns = now_ns;
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

void SocketServer::process_lines(Client& client, AgentService& service, std::int64_t now_ns) {
  std::size_t start = 0;
  while (!client.session.pending && !client.closing) {
    const auto newline = client.in.find('\n', start);
    if (newline == std::string::npos) break;
    const std::string_view line(client.in.data() + start, newline - start);
    start = newline + 1;
    if (line.empty()) continue;
    if (!client.session.marker_step.empty()) {
      // Phase markers of a step: not requests (a training loop may mark every batch), bounded
      // per step by the service.
      service.feed_marker(client.session, line);
      continue;
    }
    ++counters_.requests;
    if (!take_token(client.session.peer.uid, now_ns)) {
      ++counters_.rate_limited;
      client.out += AgentService::refusal("rate_limited", "too many requests",
                                          "slow down; the limit is per user");
      continue;
    }
    if (auto answer = service.handle(client.session, line, now_ns)) client.out += *answer;
  }
  client.in.erase(0, start);
  client.partial_since_ns =
      client.in.empty() ? 0 : (client.partial_since_ns ? client.partial_since_ns : now_ns);
  if (client.in.size() > agent_wire::kMaxRequestBytes) {
    ++counters_.dropped;
    client.out += AgentService::refusal("too_large", "request line too long",
                                        "one request per line, under 64 KiB");
    client.closing = true;
  }
}

void SocketServer::on_readable(Client& client, AgentService& service, std::int64_t now_ns) {
  char buffer[16384];
  for (int rounds = 0; rounds < 8; ++rounds) {  // bounded: one client cannot hog the loop
    const ssize_t n = ::recv(client.fd.get(), buffer, sizeof buffer, 0);
    if (n > 0) {
      client.in.append(buffer, static_cast<std::size_t>(n));
      if (client.in.size() > 2 * agent_wire::kMaxRequestBytes) break;
      continue;
    }
    if (n == 0) {
      client.eof = true;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      client.closing = true;
    }
    break;
  }
  process_lines(client, service, now_ns);
}

void SocketServer::flush(Client& client) {
  while (!client.out.empty()) {
    const ssize_t n =
        ::send(client.fd.get(), client.out.data(), client.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      client.out.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    client.closing = true;
    client.out.clear();
    return;
  }
  if (client.out.size() > limits_.max_pending_output) {
    ++counters_.dropped;
    client.closing = true;
    client.out.clear();
  }
  watch(client);
}

void SocketServer::close_client(int fd, AgentService& service, std::int64_t now_ns) {
  const auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  service.on_disconnect(it->second->session, now_ns);
  const uid_t uid = it->second->session.peer.uid;
  if (--per_user_[uid] == 0) per_user_.erase(uid);
  ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
  clients_.erase(it);
}

void SocketServer::retry_waiting(AgentService& service, std::int64_t now) {
  const auto partial_limit = static_cast<std::int64_t>(limits_.partial_line_timeout_s * 1e9);
  for (auto& [fd, client] : clients_) {
    if (auto answer = service.retry(client->session, now)) {
      client->out += *answer;
      process_lines(*client, service, now);
    }
    if (client->partial_since_ns != 0 && now - client->partial_since_ns > partial_limit) {
      ++counters_.dropped;
      client->closing = true;
    }
  }
}

void SocketServer::run(AgentService& service, const std::function<void(std::int64_t)>& tick,
                       std::int64_t tick_ns, int stop_fd, int wake_fd) {
  for (const int fd : {stop_fd, wake_fd}) {
    if (fd < 0) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev);
  }
  std::int64_t next_tick = monotonic_ns();
  std::vector<epoll_event> events(64);
  for (;;) {
    std::int64_t now = monotonic_ns();
    if (now >= next_tick) {
      tick(now);
      next_tick = std::max(next_tick + tick_ns, now + tick_ns / 4);
      retry_waiting(service, now);
    }
    const int timeout_ms =
        static_cast<int>(std::max<std::int64_t>(0, (next_tick - now) / 1'000'000)) + 1;
    const int n =
        ::epoll_wait(epoll_fd_.get(), events.data(), static_cast<int>(events.size()), timeout_ms);
    now = monotonic_ns();
    for (int i = 0; i < n; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == stop_fd) return;
      if (fd == wake_fd) {
        std::uint64_t count = 0;
        [[maybe_unused]] const ssize_t r = ::read(wake_fd, &count, sizeof count);
        retry_waiting(service, now);
        continue;
      }
      if (fd == listen_fd_.get()) {
        accept_all(service, now);
        continue;
      }
      const auto it = clients_.find(fd);
      if (it == clients_.end()) continue;
      Client& client = *it->second;
      const auto flags = events[static_cast<std::size_t>(i)].events;
      if ((flags & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0U && !client.eof) {
        on_readable(client, service, now);
      }
    }
    std::vector<int> done;
    for (auto& [fd, client] : clients_) {
      flush(*client);
      const bool answered = !client->session.pending && client->out.empty();
      if (client->closing || (client->eof && answered)) done.push_back(fd);
    }
    for (int fd : done) close_client(fd, service, now);
  }
}

}  // namespace jt::agent
