// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "study/study_plan.hpp"

// The decisions `jouletrace study` takes between runs: whether the node is back to idle, and
// how long the rest of the study will take. Plain functions of what was measured, so that they
// are tested on known numbers; the CLI does the measuring and the waiting.
namespace jt::study {

// One channel's mean power over an idle window (or a stored baseline of it).
struct ChannelPower {
  std::string channel_id;
  double power_w = 0.0;
  double uncertainty_w = 0.0;
};

struct IdleVerdict {
  // False when the window and the baseline share no channel: nothing could be compared.
  bool known = false;
  bool idle = false;
  double power_w = 0.0;     // the shared channels now, added up
  double baseline_w = 0.0;  // the same channels in the baseline
  // baseline x (1 + tolerance) + margin + both uncertainties: the most power that counts as idle.
  double limit_w = 0.0;
  std::size_t channels = 0;  // channels compared
};

// Compares the channels present in both, by id: a baseline from `calibrate` may hold a BMC
// the study cannot reach now, and a sensor may have vanished since.
IdleVerdict judge_idle(const std::vector<ChannelPower>& now,
                       const std::vector<ChannelPower>& baseline,
                       const IdleCheckSettings& settings);

// How far the study is: per cell the runs it will make and the durations of those done.
struct CellProgress {
  int runs_planned = 0;
  std::vector<double> finished_s;
};

// Seconds left: every run not yet finished takes its cell's mean duration so far, or, in a
// cell with none finished, the mean over all finished runs; the run under way has already
// taken `current_elapsed_s` of it; every run left is followed by `cooldown_s`. Empty until a
// run has finished: before that, there is nothing to go by.
std::optional<double> estimate_remaining_s(const std::vector<CellProgress>& cells,
                                           double cooldown_s, double current_elapsed_s);

}  // namespace jt::study
