// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <ctime>

namespace jt {

// All timestamps in jouletrace are CLOCK_MONOTONIC nanoseconds (docs/ARCHITECTURE.md §4.2).
inline std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

inline double ns_to_s(std::int64_t ns) { return static_cast<double>(ns) * 1e-9; }

}  // namespace jt

namespace jt {

// CLOCK_REALTIME minus CLOCK_MONOTONIC now: turns a wall-clock instant into a monotonic one for
// as long as nobody steps the clock.
inline std::int64_t realtime_minus_monotonic_ns() {
  timespec real{};
  clock_gettime(CLOCK_REALTIME, &real);
  const std::int64_t mono = monotonic_ns();
  return static_cast<std::int64_t>(real.tv_sec) * 1'000'000'000 + real.tv_nsec - mono;
}

}  // namespace jt
