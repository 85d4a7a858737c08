// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "ledger/measurement.hpp"

// The result files `jouletrace compare` reads: the report of `run -o` (jouletrace.run) and of
// `run --repeat N -o` (jouletrace.repeat), decoded strictly into the figures a comparison needs.
// Each figure is taken as the report states it, with its uncertainty and method: nothing of the
// run is recomputed here.
namespace jt::study {

// An energy as a report states it; unknown is an empty energy (null in the file), never 0.
struct StatedFigure {
  std::optional<double> energy_j;
  double uncertainty_j = 0.0;
  Method method = Method::kNone;
};

struct StatedComponent {
  std::string id;
  std::string domain;
  StatedFigure energy;
};

// A run's phases of one name added up (its `phase_totals`), and the idle GPUs' energy in them.
struct StatedPhase {
  std::string name;
  std::optional<double> duration_s;
  std::uint64_t items = 0;
  StatedFigure energy;
  std::optional<double> energy_per_item_j;
  std::optional<StatedFigure> idle_gpu;  // empty: the report has no idle-waste entry for it
  // The phase's CO2e as the report stated it; `co2e_stated` false in reports from before it.
  bool co2e_stated = false;
  std::optional<double> co2e_g;
  double co2e_uncertainty_g = 0.0;
  std::string co2e_method;
};

// The runtime-based estimate the run report made (rated power x runtime x PUE).
struct StatedEstimate {
  bool made = false;  // false: the report says why there is none, in `error`
  std::string error;
  bool complete = false;  // every device had a rated power
  std::optional<double> estimate_j;
  std::optional<double> relative_error;  // (estimate - measured) / measured
};

// The CO2e and cost the run report stated (its `carbon` object; absent in older reports).
struct StatedCarbon {
  std::optional<double> co2e_g;
  double co2e_uncertainty_g = 0.0;
  std::string co2e_method;
  std::optional<double> cost;
  double cost_uncertainty = 0.0;
  std::string currency;  // empty: the report names none
  std::string cost_method;
};

// One marked phase as the report lists it (its `phases`), seconds from the run's start, with
// the energy of each component that it was cut from.
struct StatedPhaseInstance {
  std::string name;
  double start_s = 0.0;
  double end_s = 0.0;
  StatedFigure energy;
  std::vector<StatedComponent> parts;  // the phase cover's components (`in_total`)
};

// The run's power over time (its `power_profile`), as the ledger downsampled it.
struct StatedProfileSeries {
  std::string id;
  std::string domain;
  Method method = Method::kNone;
  bool stacked = false;
  bool contains_others = false;
  std::vector<std::optional<double>> power_w;  // unknown buckets empty, never 0
  std::vector<std::optional<double>> uncertainty_w;
};

struct StatedPowerProfile {
  std::size_t buckets = 0;
  double bucket_s = 0.0;
  std::string method;
  std::vector<StatedProfileSeries> series;
};

struct StatedRun {
  bool started = false;
  bool complete = false;  // false: a checkpoint written while the command ran
  std::string hostname;
  std::vector<std::string> command;
  std::optional<double> duration_s;
  StatedFigure total;
  std::vector<StatedComponent> components;
  std::vector<StatedPhase> phases;
  StatedEstimate estimate;
  int gpus = 0;                          // GPUs the idle-waste analysis saw
  std::optional<StatedFigure> idle_gpu;  // the whole run's idle-GPU energy
  std::optional<StatedCarbon> carbon;    // empty: a report from before CO2e existed
  std::string started_at;
  std::vector<StatedPhaseInstance> phase_instances;
  std::optional<StatedPowerProfile> power_profile;  // empty: none (an older report)
};

// One file: a run report is one run, a repeat report each of its runs.
struct ResultDocument {
  std::string schema;  // "jouletrace.run" or "jouletrace.repeat"
  std::vector<StatedRun> runs;
  // A study's result file (a repeat report with `study` and `node`): its configuration's label.
  std::optional<std::string> label;
};

// The method a report names ("counter", "power-integrated", ...); empty for another word.
std::optional<Method> method_named(std::string_view name);

// Decodes a parsed document; the error names `origin` and the first bad field by its path
// ("runs[1].phase_totals[0].energy_j is a string, not a number").
Result<ResultDocument> decode_result_document(const nlohmann::json& document,
                                              const std::string& origin);
// Reads, parses and decodes a file; every failure is an Error naming the file.
Result<ResultDocument> read_result_document(const std::filesystem::path& path);

}  // namespace jt::study
