// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "core/unique_fd.hpp"
#include "markers/marker_protocol.hpp"

namespace jt::cli {

// The pipe through which the measured command's phase markers reach `jouletrace run`
// (docs/MARKERS.md), and the thread that reads it.
class MarkerChannel {
 public:
  // Creates the pipe; false (and no channel) when the system refuses.
  bool open();
  // The write end the child inherits and the variable that names it.
  int child_fd() const { return write_end_.get(); }
  std::string environment_value() const;
  // After the child was started: the parent's copy of the write end is closed and the reader runs.
  void start_reading();
  // Reads what is left without waiting (grandchildren may still hold the pipe open), stops the
  // thread and returns the phases, open ones closed at end_ns.
  std::vector<Phase> finish(std::int64_t end_ns);
  // While the reader runs: the phases so far, open ones closed at now_ns (for a checkpoint).
  std::vector<Phase> snapshot(std::int64_t now_ns);
  std::uint64_t malformed();
  std::uint64_t unmatched();

  ~MarkerChannel();

 private:
  void read_loop();
  bool drain();  // reads what is available now; false at end of stream

  UniqueFd read_end_;
  UniqueFd write_end_;
  UniqueFd wake_read_;
  UniqueFd wake_write_;
  std::thread thread_;
  std::mutex mutex_;
  PhaseTracker tracker_;
};

}  // namespace jt::cli
