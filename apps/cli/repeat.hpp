// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <vector>

#include "report/run_report.hpp"

namespace jt::cli {

// `run --repeat N`: mean and sample standard deviation of the duration, the total, every
// component and every phase name (the phases of one name in a run added up) over the runs.
RepeatSummary summarise_repeats(std::vector<RunReport> runs, int requested);

}  // namespace jt::cli
