// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "ledger/repeat_statistics.hpp"
#include "study/result_document.hpp"

// `jouletrace compare`: the study table of result files, one configuration per file. Every
// figure is summarised over the file's runs by `repeated_figure` (the statistics of `run
// --repeat`); the ratios to a reference configuration are the only figures made here.
namespace jt::study {

// A result file named on the command line: `FILE` or `LABEL=FILE`.
struct ResultArgument {
  std::string label;
  std::string path;
  bool labelled = false;  // LABEL=FILE: the label given wins over the file's own
};
// `LABEL=FILE` names the configuration; a plain FILE (or one whose text before '=' holds a '/',
// a path) is labelled by its file name without `.json`.
ResultArgument parse_result_argument(const std::string& argument);

struct LabelledResult {
  std::string label;
  std::string path;
  ResultDocument document;
};

// A configuration against the reference: mean over mean. The energy ratio's uncertainty comes
// from both means' stated uncertainties (relative, in quadrature: different nodes' sensors err
// independently); the runtime is a clock reading, whose ratio is taken as exact. Each is empty
// when either side is unknown or the reference's is 0.
struct RatioToReference {
  std::optional<double> time;
  std::optional<double> energy;
  std::optional<double> energy_uncertainty;
  Method energy_method = Method::kNone;
};

// In every RepeatedFigure below the `_j` fields hold the figure's own unit (s for durations,
// J/item, a fraction for the estimate's error). A figure whose runs state no uncertainty (the
// estimate and its error) has a NaN `mean_uncertainty_j`: unknown, which reporters write as
// null or "unknown", never 0.
struct PhaseComparison {
  std::string name;
  RepeatedFigure duration;  // method clock
  RepeatedFigure energy;
  std::optional<double> items;  // mean items per run; empty when no run counted any
  RepeatedFigure energy_per_item;
  RepeatedFigure idle_gpu;  // the idle GPUs' energy in the phase
  RepeatedFigure co2e;      // g, as the runs' reports stated it (`method`: the first run's)
  // Empty without a reference, for the reference itself, or when it has no phase of this name.
  std::optional<RatioToReference> vs_reference;
};

struct ComponentComparison {
  std::string domain;
  RepeatedFigure energy;  // `name` is the component's id
};

struct ConfigurationComparison {
  std::string label;
  std::string path;
  std::string schema;                  // of the file: jouletrace.run or jouletrace.repeat
  std::vector<std::string> hostnames;  // distinct, in the runs' order
  std::vector<std::string> command;    // the first run's
  std::size_t runs = 0;                // runs compared: started and complete
  std::size_t runs_left_out = 0;       // not started, or a checkpoint of an unfinished run
  RepeatedFigure duration;             // method clock
  RepeatedFigure total;
  std::vector<ComponentComparison> components;
  RepeatedFigure estimate;                 // runtime-based, method model; complete ones only
  RepeatedFigure estimate_relative_error;  // (estimate - measured) / measured, as each run said
  std::size_t estimates_partial = 0;       // runs whose estimate lacked a rated power
  std::size_t estimates_missing = 0;       // runs without an estimate
  int gpus = 0;                            // the most GPUs a run saw
  RepeatedFigure idle_gpu;                 // idle accelerators' energy over the run
  std::optional<RatioToReference> vs_reference;  // the whole run
  std::vector<PhaseComparison> phases;           // by name, in the order first seen
  // CO2e (g) and cost as the runs' reports stated them; `method` is the first run's method text
  // (its factors and their sources). A run whose cost is in another currency than the first's
  // is left out of the cost.
  RepeatedFigure co2e;
  RepeatedFigure cost;
  std::string currency;
};

struct Comparison {
  std::optional<std::string> reference;
  std::vector<ConfigurationComparison> configurations;
};

// Errors: no result, a label given twice, a reference that names no configuration, a file
// with no run that started and completed.
Result<Comparison> compare_results(const std::vector<LabelledResult>& results,
                                   const std::optional<std::string>& reference);

}  // namespace jt::study
