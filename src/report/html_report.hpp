// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>
#include <vector>

#include "study/comparison.hpp"

// `jouletrace report --html` (docs/REPORT.md): one self-contained page, inline SVG and CSS, no
// script and no external resource. Every figure is one the result files state; the page lays
// them out.
namespace jt {

// One configuration: its first complete run drawn (power over time, energy per phase and
// component, measured against the runtime estimate, idle accelerators, CO2e and cost), and the
// study table when the file holds several runs. `comparison` is compare_results of `result`.
std::string html_run_page(const study::LabelledResult& result, const study::Comparison& comparison);

// Several configurations: the study table `jouletrace compare` prints, per phase a chart of
// energy and of time across configurations (spread over repetitions as whiskers), and each
// configuration's power over time of its first complete run.
std::string html_study_page(const std::vector<study::LabelledResult>& results,
                            const study::Comparison& comparison);

}  // namespace jt
