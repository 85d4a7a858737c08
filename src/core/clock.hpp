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
