// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "jouletrace/jouletrace.h"
#include "markers/marker_protocol.hpp"

namespace jt::test {

// A pipe standing in for `jouletrace run`'s marker channel, with JOULETRACE_MARKERS naming its
// write end; a thread reads everything that arrives, so no writer ever blocks on a full pipe.
class MarkerPipe {
 public:
  MarkerPipe() {
    if (::pipe2(fds_, O_CLOEXEC) != 0) std::abort();
    ::setenv("JOULETRACE_MARKERS", ("fd:" + std::to_string(fds_[1])).c_str(), 1);
    reader_ = std::thread([this] {
      char buffer[65536];
      for (;;) {
        const ssize_t n = ::read(fds_[0], buffer, sizeof buffer);
        if (n <= 0) return;
        data_.append(buffer, static_cast<std::size_t>(n));
        lines_.fetch_add(static_cast<std::size_t>(std::count(buffer, buffer + n, '\n')),
                         std::memory_order_release);
      }
    });
  }
  ~MarkerPipe() {
    close_write_end();
    if (reader_.joinable()) reader_.join();
    ::close(fds_[0]);
    ::unsetenv("JOULETRACE_MARKERS");
  }
  MarkerPipe(const MarkerPipe&) = delete;
  MarkerPipe& operator=(const MarkerPipe&) = delete;

  int write_fd() const { return fds_[1]; }
  // Children started from now on inherit the write end (run_process keeps it open).
  void let_children_inherit() const { ::fcntl(fds_[1], F_SETFD, 0); }

  // Records (whole lines) received so far.
  std::size_t lines_received() const { return lines_.load(std::memory_order_acquire); }

  // Waits until at least `lines` records have arrived; false after `timeout`.
  bool wait_for_lines(std::size_t lines, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (lines_received() < lines) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  // Closes our write end and waits for every other writer to finish: all that was sent.
  const std::string& collect() {
    close_write_end();
    if (reader_.joinable()) reader_.join();
    return data_;
  }

 private:
  void close_write_end() {
    if (fds_[1] >= 0) ::close(fds_[1]);
    fds_[1] = -1;
  }

  int fds_[2] = {-1, -1};
  std::thread reader_;
  std::string data_;
  std::atomic<std::size_t> lines_{0};
};

struct ParsedStream {
  std::vector<MarkerRecord> records;
  std::vector<std::string> lines;
  std::size_t malformed = 0;
};

inline ParsedStream parse_stream(const std::string& data) {
  ParsedStream out;
  std::size_t start = 0;
  while (start < data.size()) {
    std::size_t nl = data.find('\n', start);
    if (nl == std::string::npos) {
      ++out.malformed;  // a record cut off
      break;
    }
    const std::string line = data.substr(start, nl - start);
    out.lines.push_back(line);
    if (auto record = parse_marker(line)) {
      out.records.push_back(std::move(*record));
    } else {
      ++out.malformed;
    }
    start = nl + 1;
  }
  return out;
}

inline jt_options options_for(const std::string& sysfs_root, double interval_s = 0.0,
                              std::uint32_t flags = 0) {
  static thread_local std::string root;
  static thread_local std::string dev;
  root = sysfs_root;
  dev = sysfs_root + "/dev";
  jt_options o{};
  o.struct_size = sizeof(o);
  o.flags = flags;
  o.interval_s = interval_s;
  o.sysfs_root = root.c_str();
  o.dev_root = dev.c_str();
  o.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  return o;
}

inline jt_measurement empty_measurement() {
  jt_measurement m{};
  m.struct_size = sizeof(m);
  return m;
}

// What `action` writes to stderr (file descriptor 2), via a temporary file.
template <typename Action>
std::string stderr_of(Action&& action) {
  char path[] = "/tmp/jouletrace-stderr-XXXXXX";
  const int file = ::mkstemp(path);
  if (file < 0) std::abort();
  ::unlink(path);
  std::fflush(stderr);
  const int saved = ::dup(2);
  ::dup2(file, 2);
  action();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::string text;
  char buffer[4096];
  ::lseek(file, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(file, buffer, sizeof buffer)) > 0;) {
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(file);
  return text;
}

// Each test starts and ends with the library uninitialised and no parent channel in sight.
class FreshLibraryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("JOULETRACE_MARKERS");
    if (jt_current_mode() != JT_MODE_UNINITIALIZED) jt_shutdown();
  }
  void TearDown() override {
    if (jt_current_mode() != JT_MODE_UNINITIALIZED) jt_shutdown();
  }
};

}  // namespace jt::test
