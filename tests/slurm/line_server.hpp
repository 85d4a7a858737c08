// SPDX-License-Identifier: BSD-3-Clause
#pragma once

// A UNIX socket server on a thread that stands in for the agent (docs/AGENT.md) in the plugin's
// tests and benchmark: per connection it reads one line, keeps it and writes `answer` (or, when
// `answer` is empty, never answers and holds the connection until the peer closes it).

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace jt::test {

class LineServer {
 public:
  LineServer(std::string path, std::string answer)
      : path_(std::move(path)), answer_(std::move(answer)) {
    ::unlink(path_.c_str());
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    ok_ = listener_ >= 0 &&
          ::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
          ::listen(listener_, 64) == 0;
    if (ok_) thread_ = std::thread([this] { serve(); });
  }
  ~LineServer() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (listener_ >= 0) ::close(listener_);
    ::unlink(path_.c_str());
  }
  LineServer(const LineServer&) = delete;
  LineServer& operator=(const LineServer&) = delete;

  bool ok() const { return ok_; }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  void serve() {
    std::vector<int> held;
    while (!stop_.load()) {
      pollfd ready{listener_, POLLIN, 0};
      if (::poll(&ready, 1, 20) <= 0) continue;
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      std::string line;
      char c = 0;
      while (::read(client, &c, 1) == 1 && c != '\n') line += c;
      {
        std::lock_guard lock(mutex_);
        lines_.push_back(line);
      }
      if (answer_.empty()) {
        held.push_back(client);
        continue;
      }
      (void)::send(client, answer_.data(), answer_.size(), MSG_NOSIGNAL);
      ::close(client);
    }
    for (const int fd : held) ::close(fd);
  }

  std::string path_;
  std::string answer_;
  int listener_ = -1;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace jt::test
