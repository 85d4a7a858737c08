// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ledger/attribution.hpp"
#include "ledger/carbon.hpp"
#include "ledger/idle_waste.hpp"
#include "ledger/node_profile.hpp"
#include "ledger/power_profile.hpp"
#include "ledger/run_ledger.hpp"
#include "ledger/runtime_estimate.hpp"
#include "ledger/window_energy.hpp"
#include "markers/marker_protocol.hpp"
#include "sampler/sampler.hpp"

namespace jt {

// A marked phase of the run with its energy.
struct PhaseReport {
  Phase phase;
  WindowEnergy energy;
  std::optional<double> energy_per_item_j;  // unknown without items or a known energy
};
PhaseReport phase_report(const Phase& phase, WindowEnergy energy);

// All phases of one name added up: per-step or per-epoch markers become one line.
struct PhaseTotal {
  std::string name;
  std::uint64_t count = 0;
  Measurement energy;  // unknown when any phase's is; uncertainties in quadrature
  double duration_s = 0.0;
  std::uint64_t items = 0;
  std::optional<double> energy_per_item_j;
  CarbonFigure carbon;  // of `energy`, with the run's CO2e and cost factors
};
std::vector<PhaseTotal> phase_totals(const std::vector<PhaseReport>& phases,
                                     const CarbonFactors& carbon);

// The CPU estimate for a run without a CPU energy sensor: `watts_per_busy_core` (0: the
// default, kDefaultWattsPerBusyCore) times the process tree's CPU time.
// A typical server CPU's thermal design power over its core count (e.g. 270 W / 40 cores for
// a Xeon Platinum 8380, 280 W / 64 for an EPYC 7763): order-of-magnitude only, hence "model".
inline constexpr double kDefaultWattsPerBusyCore = 7.0;
CpuModel cpu_model_of(double cpu_time_s, double watts_per_busy_core);

// Everything a run's analysis needs besides the timeline, gathered by whoever ran it (the CLI
// today; the agent and the Slurm plugin next).
struct RunAnalysisInputs {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  bool complete = true;                  // false: a checkpoint while the command runs
  std::optional<CpuModel> cpu_model;     // set when no CPU energy sensor was readable
  const NodeProfile* profile = nullptr;  // calibrated idle baselines; null: none
  // Why a profile found was not used, in the caller's words (carried as "profile-unusable").
  std::vector<std::string> profile_warnings;
  NodeInventory inventory;
  AttributionInputs attribution;
  const TdpTable* tdp = nullptr;  // rated powers; null: no estimate, `tdp_error` says why
  std::string tdp_error;
  double pue = 1.0;
  // The factors of the CO2e and cost figures; null: none given, both unknown.
  const CarbonFactors* carbon = nullptr;
  double idle_activity_pct = 1.0;  // a GPU never busier than this did no work
  CpuActivity cpu_activity;
  std::vector<Phase> phases;
};

// One analysed run: what `run` reports, checkpoints write, and the agent will serve.
struct RunAnalysis {
  WindowResult window;
  // What the node is made of, with its idle baselines when calibrated.
  std::optional<NodeProfile> node;
  std::optional<Attribution> attribution;
  std::string attribution_error;
  // The common runtime-based estimate (rated power x time x PUE) next to the measurement.
  std::optional<RuntimeEstimate> runtime_estimate;
  std::string runtime_estimate_error;
  // CO2e and cost of the run's energy (the job's share on a shared node), with their factors.
  CarbonFactors carbon_factors;
  CarbonFigure carbon;
  // Idle accelerators (and idle CPUs beside working GPUs): the run first, then each phase.
  std::vector<IdleWaste> idle_waste;
  std::vector<PhaseReport> phases;
  std::vector<PhaseTotal> phase_totals;
  // The parts phases are cut from: the total's cover, or the parts inside the node meter when
  // the total is one (a meter polled every second cannot resolve a phase). `phase_cover_run`
  // is the whole run over that cover, so that the phases can be compared with it.
  std::vector<std::string> phase_cover;
  std::optional<WindowEnergy> phase_cover_run;
  // Power over time per component, downsampled for charts; the parts of the phase cover are
  // the ones drawn stacked.
  PowerProfile power_profile;
};

// Components, total, coverage, baselines, attribution, runtime estimate, idle waste and phases
// from one cover. GPU counters that anchor power channels are joined first.
RunAnalysis analyse_run(const Timeline& timeline, const RunAnalysisInputs& inputs);

// `calibrate`: a run on an idle node, analysed like any run, and the idle baselines it gives.
struct IdleCalibration {
  WindowResult window;
  std::vector<IdleBaseline> baselines;
  std::vector<Warning> warnings;  // the baselines', then the run's
};
IdleCalibration analyse_idle_run(const Timeline& timeline, std::int64_t start_ns,
                                 std::int64_t end_ns, const CalibrationSettings& settings);

// The devices the runtime-based estimate charges: every CPU socket, and the GPUs the job owns
// on a shared node (matched by channel, never by label).
std::vector<AllocatedDevice> allocated_devices(const NodeInventory& inventory,
                                               const std::optional<Attribution>& attribution);

// What the estimate is compared with: the job's attributed energy on a shared node, else the
// run's total, saying which.
std::optional<MeasuredEnergy> estimate_scope(const WindowResult& window,
                                             const std::optional<Attribution>& attribution);

}  // namespace jt
