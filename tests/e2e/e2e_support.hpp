// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "support/test_support.hpp"

namespace jt::test {

// The options every e2e run passes so that nothing of the host machine leaks in: no GPU library
// of the host is loaded unless a test names a fake.
inline std::vector<std::string> jouletrace_args(
    const TempTree& tree, const std::string& verb, const std::string& nvml = "/nonexistent/nvml.so",
    const std::string& rocm_smi = "/nonexistent/librocm_smi64.so.5",
    const std::string& level_zero = "/nonexistent/libze_loader.so.1",
    const std::string& amd_smi = "/nonexistent/libamd_smi.so") {
  return {
      jouletrace_binary(),  verb,         "--amd-smi-library",     amd_smi,          "--sysfs-root",
      tree.path().string(), "--dev-root", (tree / "dev").string(), "--nvml-library", nvml,
      "--rocm-smi-library", rocm_smi,     "--level-zero-library",  level_zero};
}

inline nlohmann::json read_json(const std::filesystem::path& path) {
  return nlohmann::json::parse(read_file(path));
}

inline const nlohmann::json* component(const nlohmann::json& report, const std::string& id) {
  for (const auto& c : report["components"]) {
    if (c["id"] == id) return &c;
  }
  return nullptr;
}

// What the test knows of a run's measured span from its own clock, never from the report: the
// span is at least `min_s`, the time the command is known to take (its `sleep`: the first
// reading precedes the fork and the last follows the reap), and at most `max_s`, the whole
// `jouletrace` process on the test's std::chrono::steady_clock (the readings are inside it).
struct RunClock {
  double min_s = 0.0;
  double max_s = 0.0;
};

// A process run with the test's stopwatch around it, and the children's CPU time it added
// (getrusage(RUSAGE_CHILDREN) of the test: `jouletrace` and everything it reaped).
struct TimedRun {
  ProcessResult result;
  double elapsed_s = 0.0;
  double children_cpu_s = 0.0;
  RunClock clock(double min_s) const { return {min_s, elapsed_s}; }
};

inline double children_cpu_s() {
  rusage usage{};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

inline TimedRun run_timed(const std::vector<std::string>& argv,
                          const ProcessOptions& options = {}) {
  const double cpu_before = children_cpu_s();
  const auto start = std::chrono::steady_clock::now();
  TimedRun run;
  run.result = run_process(argv, options);
  run.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.children_cpu_s = children_cpu_s() - cpu_before;
  return run;
}

// An energy at a known constant `watts` over a span the test bounds by `clock`: within
// [watts x min_s - slack_j, watts x max_s + slack_j]. `slack_j` is the caller's fixed bound on
// what the ends may add (a fixture's tick, a late read), with its reason beside it.
inline ::testing::AssertionResult energy_within(double energy_j, double watts, RunClock clock,
                                                double slack_j) {
  const double low = watts * clock.min_s - slack_j;
  const double high = watts * clock.max_s + slack_j;
  if (energy_j >= low && energy_j <= high) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << energy_j << " J is not in [" << low << ", " << high << "] J: " << watts << " W for "
         << clock.min_s << " to " << clock.max_s << " s (test clock), +/- " << slack_j << " J";
}

// A component's average power against the power its fixture was given: the ends' `slack_j`
// spread over the shortest span the test's clock allows. Where the clock's upper bound (the
// whole process) is loose, this is what tells an energy a few per cent off.
inline ::testing::AssertionResult power_within(double avg_power_w, double watts, RunClock clock,
                                               double slack_j) {
  const double tolerance_w = slack_j / clock.min_s;
  if (std::abs(avg_power_w - watts) <= tolerance_w) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << avg_power_w << " W is not " << watts << " +/- " << tolerance_w << " W";
}

// A duration the report gives, against the test's own bounds.
inline ::testing::AssertionResult duration_within(double seconds, RunClock clock) {
  if (seconds >= clock.min_s && seconds <= clock.max_s) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << seconds << " s is not in [" << clock.min_s << ", " << clock.max_s << "] s (test clock)";
}

}  // namespace jt::test
