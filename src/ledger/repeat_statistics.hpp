// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "ledger/run_analysis.hpp"

namespace jt {

// One figure over repeated runs: its mean, its spread, and how uncertain each run's own
// figure was.
struct RepeatedFigure {
  std::string name;      // a component id, a phase name, "total" or "duration"
  std::size_t runs = 0;  // runs in which it is known
  std::optional<double> mean_j;
  std::optional<double> stddev_j;   // sample standard deviation; empty with fewer than two runs
  double mean_uncertainty_j = 0.0;  // the mean of the runs' own uncertainties
  std::string method;               // the runs' method ("clock" for the duration)
};

// The values of one figure in each run where it is known, for repeated_figure().
struct RunValues {
  std::vector<double> values;
  std::vector<double> uncertainties;
  Method method = Method::kNone;
  // An unknown value is left out, so that the figure's `runs` counts only the runs that know
  // it: unknown never becomes a 0 that drags the mean down.
  void add(const std::optional<double>& value, double uncertainty, Method value_method);
};
// The mean, the sample standard deviation (two runs or more) and the mean of the runs' own
// uncertainties; method none and no mean when no run knows the figure. `repeat_statistics` and
// the comparison of result files (`jouletrace compare`) both summarise runs with it.
RepeatedFigure repeated_figure(const std::string& name, const RunValues& values);

// `run --repeat N`: the duration (seconds, in the _j fields), the total, every component and
// every phase name (the phases of one name in a run added up) over the runs.
struct RepeatStatistics {
  RepeatedFigure duration;
  RepeatedFigure total;
  std::vector<RepeatedFigure> components;
  std::vector<RepeatedFigure> phases;
  // CO2e in g (the `_j` fields) over the runs that know it; method: the first run's method text.
  RepeatedFigure co2e{.name = "co2e", .method = "none"};
};
// `runs`: the analyses of the runs that started and ended.
RepeatStatistics repeat_statistics(const std::vector<const RunAnalysis*>& runs);

}  // namespace jt
