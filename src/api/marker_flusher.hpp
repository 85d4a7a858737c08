// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <limits.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "api/marker_ring.hpp"

namespace jt {

// What the flusher shares with the marker calls. It outlives every flusher (the runtime owns
// it), so a marker call racing with jt_shutdown never touches a destroyed object.
struct FlusherShared {
  // 1 while the flusher sleeps; a producer that finds it so wakes it with a futex call.
  std::atomic<std::uint32_t> sleeping{0};
  std::atomic<std::uint64_t> sent{0};            // records written to the fd
  std::atomic<std::uint64_t> unsent{0};          // records given up after a write failure
  std::atomic<std::uint64_t> write_failures{0};  // failed writes (the sending stops at the first)

  // Producer side: cheap unless the flusher sleeps.
  void wake_if_sleeping() {
    if (sleeping.load(std::memory_order_relaxed) != 0 &&
        sleeping.exchange(0, std::memory_order_acq_rel) != 0) {
      wake();
    }
  }
  void wake();
};

// Drains the ring in its own thread, formats MARKERS.md records and writes them to the parent's
// fd in batches of whole records, each write at most PIPE_BUF bytes so that the writes of several
// processes into one pipe never interleave inside a record.
class MarkerFlusher {
 public:
  static constexpr std::size_t kBatchBytes = PIPE_BUF;

  struct Options {
    int fd = -1;
    std::int64_t pid = 0;
    int idle_wait_ms = 20;       // sleep between polls when the ring is empty
    int stop_timeout_ms = 2000;  // at stop, how long a parent that does not read may delay us
  };

  MarkerFlusher(MarkerRing& ring, FlusherShared& shared, Options options);
  ~MarkerFlusher();
  MarkerFlusher(const MarkerFlusher&) = delete;
  MarkerFlusher& operator=(const MarkerFlusher&) = delete;

  // Starts the thread with every signal blocked: no handler of the program runs on it, and a
  // write to a closed pipe raises SIGPIPE on this thread only, where it stays blocked.
  void start();
  // Sends what is still in the ring, then joins the thread.
  void stop();
  // In the child after fork(): the thread does not exist there, so it is neither joined nor
  // destroyed (its std::thread is leaked on purpose).
  void abandon_after_fork();

  // Why sending stopped; empty while it works. Valid after stop().
  const std::string& failure() const { return failure_; }

 private:
  void run();
  void drain();
  void send(const char* data, std::size_t length, std::uint64_t records);
  // Waits until the fd takes a write; false when it would wait past the stop deadline.
  bool wait_writable();
  void fail(std::string why, std::uint64_t records);

  MarkerRing& ring_;
  FlusherShared& shared_;
  Options options_;
  std::unique_ptr<std::thread> thread_;
  std::atomic<bool> stop_requested_{false};
  std::int64_t stop_deadline_ns_ = 0;
  bool broken_ = false;
  std::string failure_;
  char batch_[kBatchBytes];
};

}  // namespace jt
