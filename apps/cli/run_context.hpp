// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "core/result.hpp"
#include "ledger/attribution.hpp"
#include "ledger/carbon.hpp"
#include "ledger/node_profile.hpp"
#include "ledger/runtime_estimate.hpp"
#include "markers/marker_protocol.hpp"
#include "report/run_report.hpp"
#include "sampler/sampler.hpp"
#include "sensors/cgroup_usage.hpp"
#include "verbs.hpp"

namespace jt::cli {

// Everything a run reads besides its sensors, read and checked before the command starts: a
// bad file named on the command line is an error then, never a warning after hours of work.
struct RunContext {
  RunOptions options;
  std::string hostname;
  std::vector<ProbeReport> probe_reports;
  bool need_cpu_model = false;  // no CPU energy sensor: the CPU is estimated
  NodeInventory inventory;
  std::optional<NodeProfile> profile;
  std::string profile_source;
  std::vector<std::string> profile_warnings;  // a default profile that could not be used
  std::optional<TdpTable> tdp;
  std::string tdp_error;  // why there is no runtime-based estimate
  CarbonFactors carbon;   // option > environment > data file (docs/CARBON.md)
};

// Whether a file can be created at `path` (its directory exists and takes a new file), so
// that a measurement is never lost to a typo found after hours. `option` names it in messages.
Result<void> check_writable(const std::string& path, const char* option);

// CO2e and cost factors: each from its option, else the environment, else the region's entry
// of the carbon data file (docs/CARBON.md).
Result<CarbonFactors> resolve_carbon_options(const CarbonSettingTexts& options, double pue,
                                             bool pue_given);

// Checks what the options name before any sensor is probed: output paths writable, a Redfish
// config readable and valid. An error here means nothing ran.
Result<void> check_run_options(const RunOptions& options);

// Reads the profile and rated-power data and the node's inventory. `channels` are the probed
// sensors'.
Result<RunContext> prepare_run(const RunOptions& options, const std::vector<ChannelInfo>& channels,
                               std::vector<ProbeReport> probe_reports);

// The state of a run at one instant: its end, or a checkpoint while the command runs.
struct RunProgress {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  std::string started_at;
  bool complete = false;
  const ChildExit* exit = nullptr;  // null while the command runs
  double cpu_time_s = 0.0;          // of the command's process tree
  std::vector<Phase> phases;
  std::uint64_t malformed_markers = 0;
  std::uint64_t unmatched_markers = 0;
  std::optional<Result<CgroupSnapshot>> cgroup_before;
  double interval_s = 0.0;
  double requested_interval_s = 0.0;
  std::string interval_note;
  std::uint64_t rounds = 0;
  std::uint64_t late_rounds = 0;
  std::size_t slow_meters = 0;
};

// One analysis for checkpoints and the final report: components, total, coverage, baselines,
// attribution, runtime estimate, idle waste and phases from one cover.
RunReport analyse_run(const RunContext& context, const Timeline& timeline,
                      const RunProgress& progress);

}  // namespace jt::cli
