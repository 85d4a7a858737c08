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
#include "sensors/process_tree.hpp"
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
  Measurement energy;  // unknown when any phase's is; uncertainties in quadrature
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
  bool started = true;     // false: the command could not be executed (launch_error says why)
  bool complete = true;    // false: a checkpoint written while the command ran
  int exit_code = 0;
  std::optional<int> signal;  // set when the command was killed by a signal
  std::string launch_error;   // set when the command could not be started
  // Processes the command started that still ran when it exited (not waited for).
  std::vector<ProcessStat> left_running;
  double waited_for_others_s = 0.0;      // --wait-all: time after the command itself exited
  bool killed_after_interrupts = false;  // jouletrace sent SIGKILL after repeated Ctrl-C
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
  // The parts phases are cut from: the total's cover, or the parts inside the node meter when
  // the total is one (a meter polled every second cannot resolve a phase). `phase_cover_run`
  // is the whole run over that cover, so that the phases can be compared with it.
  std::vector<std::string> phase_cover;
  std::optional<WindowEnergy> phase_cover_run;
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

struct SummaryOptions {
  bool verbose = false;  // every absent backend with its fix, every warning in full
  std::size_t width = 100;
  // kHeadline: the command's outcome and the total; kNotes: what to know (processes, backends,
  // warnings). Both serve `--repeat`, which shows each run's headline and the last run's notes.
  enum class Part { kAll, kHeadline, kNotes };
  Part part = Part::kAll;
};
// The text the user reads first: a headline, one line per component, the phases, what to know.
std::string format_summary(const RunReport& report, const SummaryOptions& options = {});

// `--repeat`: the runs, and per figure the mean and standard deviation over them.
struct RepeatedFigure {
  std::string name;      // a component id, a phase name, or "total"
  std::size_t runs = 0;  // runs in which it is known
  std::optional<double> mean_j;
  std::optional<double> stddev_j;   // sample standard deviation; empty with fewer than two runs
  double mean_uncertainty_j = 0.0;  // the mean of the runs' own uncertainties
  std::string method;
};
struct RepeatSummary {
  std::vector<RunReport> runs;
  int requested = 0;
  RepeatedFigure duration;  // seconds, in the _j fields
  RepeatedFigure total;
  std::vector<RepeatedFigure> components;
  std::vector<RepeatedFigure> phases;  // per phase name, the phases of each run added up
};
nlohmann::json to_json(const RepeatSummary& repeat);
std::string format_repeat_summary(const RepeatSummary& repeat, const SummaryOptions& options = {});

// The CSV time series: this header, then one row per channel per stored sample.
inline constexpr const char* kTimelineCsvHeader =
    "time_s,component,domain,method,energy_j,power_w\n";
// The rows of samples [from, to) of one channel; the power of a row comes from the sample
// before it, so `from` may continue where an earlier call stopped.
std::string format_timeline_rows(const ChannelInfo& channel, const ChannelSeries& series,
                                 std::size_t from, std::size_t to, std::int64_t origin_ns);

}  // namespace jt
