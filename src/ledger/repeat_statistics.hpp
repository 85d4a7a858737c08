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

// `run --repeat N`: the duration (seconds, in the _j fields), the total, every component and
// every phase name (the phases of one name in a run added up) over the runs.
struct RepeatStatistics {
  RepeatedFigure duration;
  RepeatedFigure total;
  std::vector<RepeatedFigure> components;
  std::vector<RepeatedFigure> phases;
};
// `runs`: the analyses of the runs that started and ended.
RepeatStatistics repeat_statistics(const std::vector<const RunAnalysis*>& runs);

}  // namespace jt
