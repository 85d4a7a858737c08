// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/result.hpp"
#include "ledger/repeat_statistics.hpp"
#include "ledger/run_analysis.hpp"
#include "markers/marker_protocol.hpp"
#include "sampler/sampler.hpp"
#include "sensors/process_tree.hpp"
#include "sensors/sensor.hpp"

namespace jt {

// Everything a reporter needs about one `jouletrace run`: how the command went, and the
// ledger's analysis of it. Plain data: reporters never touch hardware and never compute
// (docs/ARCHITECTURE.md §1).
struct RunReport : RunAnalysis {
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
  std::int64_t start_ns = 0;  // the run's origin on the monotonic clock
  std::uint64_t malformed_markers = 0;
  std::uint64_t unmatched_markers = 0;
  std::size_t slow_meters = 0;  // sensors polled in threads of their own (BMCs)
  std::string profile_source;   // the profile file the baselines came from, if any
};

// Every JSON document jouletrace writes names its format and the version of that format
// (schemas/README.md); a reader checks both. "jouletrace.run" version 1 is what reports before
// the `version` field called "jouletrace.run/1": the same fields.
inline constexpr const char* kRunSchema = "jouletrace.run";
inline constexpr int kRunSchemaVersion = 1;
nlohmann::json to_json(const RunReport& report);
// The typed identity of a channel's device; unknown fields are null.
nlohmann::json to_json(const DeviceIdentity& identity);

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
struct RepeatSummary : RepeatStatistics {
  std::vector<RunReport> runs;
  int requested = 0;
};
// `--repeat`: "jouletrace.repeat" version 1, formerly spelled "jouletrace.repeat/1".
inline constexpr const char* kRepeatSchema = "jouletrace.repeat";
inline constexpr int kRepeatSchemaVersion = 1;
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
