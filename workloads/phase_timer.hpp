// SPDX-License-Identifier: BSD-3-Clause
// One phase of a workload (train, infer): timed here with the monotonic clock, and marked through
// jouletrace's phase API (docs/API.md) when a session is open, its items counted in both.
#pragma once

#include <chrono>
#include <cstdint>
#include <jouletrace/jouletrace.hpp>
#include <optional>
#include <string>

#include "data/workload_options.hpp"

namespace jouletrace::workload {

class PhaseTimer {
 public:
  PhaseTimer(const std::string& name, bool marked) : start_(std::chrono::steady_clock::now()) {
    record_.name = name;
    if (marked) window_.emplace(name);
  }

  void add_items(std::uint64_t count) {
    record_.items += count;
    if (window_) window_->add_items(count);
  }

  // Ends the phase. Under `jouletrace run` the parent's report has its energy; measured in this
  // process, the energy is kept when a sensor was readable.
  PhaseRecord finish() {
    record_.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (window_) {
      if (const std::optional<Measurement> measured = window_->end();
          measured && measured->energy_j) {
        record_.energy_j = measured->energy_j;
        record_.energy_method = measured->method;
      }
    }
    return record_;
  }

 private:
  PhaseRecord record_;
  std::chrono::steady_clock::time_point start_;
  std::optional<Window> window_;
};

}  // namespace jouletrace::workload
