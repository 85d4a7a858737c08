#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/result.hpp"
#include "ledger/attribution.hpp"
#include "ledger/idle_waste.hpp"
#include "ledger/node_profile.hpp"
#include "ledger/run_ledger.hpp"
#include "ledger/runtime_estimate.hpp"
#include "ledger/window_energy.hpp"
#include "markers/marker_protocol.hpp"
#include "sampler/sampler.hpp"
#include "sensors/sensor.hpp"

namespace jt {

// A marked phase of the run with its energy.
struct PhaseReport {
  Phase phase;
  WindowEnergy energy;
};

// All phases of one name added up: per-step or per-epoch markers become one line.
struct PhaseTotal {
  std::string name;
  std::uint64_t count = 0;
  double energy_j = 0.0;
  double uncertainty_j = 0.0;  // the phases' uncertainties added in quadrature
  double duration_s = 0.0;
  std::uint64_t items = 0;
};
std::vector<PhaseTotal> phase_totals(const std::vector<PhaseReport>& phases);

// Everything a reporter needs about one `jouletrace run`. Plain data: reporters never touch
// hardware (ARCHITECTURE §1).
struct RunReport {
  std::vector<std::string> command;
  std::string hostname;
  std::string started_at;  // ISO 8601, UTC
  int exit_code = 0;
  std::optional<int> signal;  // set when the command was killed by a signal
  std::string launch_error;   // set when the command could not be started
  double interval_s = 0.0;
  double requested_interval_s = 0.0;
  std::string interval_note;
  std::uint64_t rounds = 0;
  std::uint64_t late_rounds = 0;
  double self_cpu_s = 0.0;  // CPU time jouletrace itself used: its overhead, measured
  std::vector<ProbeReport> sensors;
  WindowResult window;
  std::int64_t start_ns = 0;  // the run's origin on the monotonic clock
  std::vector<PhaseReport> phases;
  std::uint64_t malformed_markers = 0;
  std::uint64_t unmatched_markers = 0;
  std::size_t slow_meters = 0;  // sensors polled in threads of their own (BMCs)
  // Idle accelerators (and idle CPUs beside working GPUs): the run first, then each phase.
  std::vector<IdleWaste> idle_waste;
  // What the node is made of (and its idle baselines when calibrated), kept with the report.
  std::optional<NodeProfile> node;
  std::string profile_source;  // the profile file the baselines came from, if any
  // The common runtime-based estimate (rated power x time x PUE) next to the measurement.
  std::optional<RuntimeEstimate> runtime_estimate;
  std::string runtime_estimate_error;
  std::optional<Attribution> attribution;
  std::string attribution_error;
};

nlohmann::json to_json(const RunReport& report);
std::string format_summary(const RunReport& report);

// Long-format CSV of the timeline: one row per channel per stored sample.
std::string format_timeline_csv(const std::vector<ChannelInfo>& channels,
                                const std::vector<ChannelSeries>& series, std::int64_t start_ns);

}  // namespace jt
