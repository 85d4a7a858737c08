// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <span>
#include <string_view>

#include "core/result.hpp"
#include "sensors/sensor.hpp"

namespace jt {

// Where a backend's sensors are read (docs/ARCHITECTURE.md §7): with the other fast sensors
// every round, or in a thread of their own no faster than Sensor::min_interval_s. The sampler
// goes by each sensor's min_interval_s: a fast-lane backend may still give one sensor a thread of
// its own, as NVML does for an energy counter too expensive to read every round.
enum class ReadLane { kFast, kOwnThread };

// kBmc: a whole-node meter behind a BMC, skipped with --no-bmc (ProbeContext::probe_bmc).
enum class BackendGroup { kLocal, kBmc };

// One line of the backend table. Adding a backend means its folder, one line and its tests.
struct Backend {
  std::string_view name;   // as its sensors and reports name it (Sensor::backend)
  std::string_view title;  // as messages name it
  BackendGroup group = BackendGroup::kLocal;
  ReadLane lane = ReadLane::kFast;
  std::span<const std::string_view> options;  // the command-line options that steer it
  // Backends not probed once this one found CPU energy (package or psys): they would read the
  // same counters again.
  std::span<const std::string_view> supersedes;
  ProbeOutcome (*probe)(const ProbeContext&) = nullptr;
  // Reads what its options name (a config file) before anything runs, so that a typo fails the
  // command at once rather than leaving a run without the meter; null: nothing to check.
  Result<void> (*check_options)(const ProbeContext&) = nullptr;
};

// The backends on the node itself, in the order of preference: the kernel's own interface
// before the registers behind it, NVML before hwmon (a module meter names what it contains of
// what came before, ProbeContext::earlier_channels).
std::span<const Backend> local_backends();

// Probes the table in order (no static-initialisation registration) and applies the rules
// between backends: supersession, --no-bmc, earlier channels. A probe that throws becomes an
// error report for its backend; the others are still probed.
ProbeOutcome probe_all(const ProbeContext& context, std::span<const Backend> backends);

}  // namespace jt
