// SPDX-License-Identifier: BSD-3-Clause
#include "marker_channel.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace jt::cli {

bool MarkerChannel::open() {
  int fds[2];
  // The read end is non-blocking so the final drain never waits on a grandchild.
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  read_end_.reset(fds[0]);
  // The write end blocks: a writer (the library's flusher) waits rather than losing markers.
  ::fcntl(fds[1], F_SETFL, 0);
  write_end_.reset(fds[1]);
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  wake_read_.reset(wake[0]);
  wake_write_.reset(wake[1]);
  return true;
}

std::string MarkerChannel::environment_value() const {
  return "fd:" + std::to_string(write_end_.get());
}

void MarkerChannel::start_reading() {
  write_end_.reset();
  thread_ = std::thread([this] { read_loop(); });
}

bool MarkerChannel::drain() {
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(read_end_.get(), buf, sizeof buf);
    if (n > 0) {
      std::lock_guard lock(mutex_);
      tracker_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

void MarkerChannel::read_loop() {
  pollfd fds[2] = {{read_end_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
  for (;;) {
    const int n = ::poll(fds, 2, -1);
    if (n < 0 && errno != EINTR) return;
    if (fds[1].revents != 0) return;  // asked to stop; finish() drains
    if (fds[0].revents != 0 && !drain()) return;
  }
}

std::vector<Phase> MarkerChannel::finish(std::int64_t end_ns) {
  if (thread_.joinable()) {
    const char stop = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_write_.get(), &stop, 1);
    thread_.join();
  }
  if (read_end_.valid()) drain();
  std::lock_guard lock(mutex_);
  return tracker_.finish(end_ns);
}

std::vector<Phase> MarkerChannel::snapshot(std::int64_t now_ns) {
  std::lock_guard lock(mutex_);
  PhaseTracker copy = tracker_;
  return copy.finish(now_ns);
}

std::uint64_t MarkerChannel::malformed() {
  std::lock_guard lock(mutex_);
  return tracker_.malformed();
}

std::uint64_t MarkerChannel::unmatched() {
  std::lock_guard lock(mutex_);
  return tracker_.unmatched();
}

MarkerChannel::~MarkerChannel() {
  if (thread_.joinable()) {
    const char stop = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_write_.get(), &stop, 1);
    thread_.join();
  }
}

}  // namespace jt::cli
