// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "csv_stream.hpp"
#include "report/run_report.hpp"
#include "run_context.hpp"

// One measured run of a command, shared by `run` (and its --repeat) and `study`.
namespace jt::cli {

using CheckpointWriter = std::function<void(const RunReport&)>;

// What a run needs to know besides its context and sensors.
struct RecorderSetup {
  CsvStream* csv = nullptr;
  std::int64_t csv_origin_ns = 0;  // the CSV's time origin: the first run's start
  // Called every options.checkpoint_s with the run analysed so far (marked incomplete);
  // empty: nothing to checkpoint.
  CheckpointWriter checkpoint;
  double self_cpu_baseline_s = 0.0;  // jouletrace's own CPU time before this run
};

// Runs options.command once under measurement with these sensors; `run` counts from 0. The
// command inherits jouletrace's environment, with JOULETRACE_MARKERS set for its phases.
RunReport measure_once(const RunContext& context, std::vector<std::unique_ptr<Sensor>> sensors,
                       RecorderSetup setup, int run);

// The CPU time jouletrace itself has used so far.
double own_cpu_s();
std::string utc_now_iso8601();

// Writes a report atomically; one that cannot go to `path` goes to the temporary directory,
// else to stderr between markers: a measurement is never lost. `what` names it in messages.
void write_or_rescue(const std::string& path, const std::string& content, const char* what);

}  // namespace jt::cli
