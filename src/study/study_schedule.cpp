// SPDX-License-Identifier: BSD-3-Clause
#include "study/study_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace jt::study {

IdleVerdict judge_idle(const std::vector<ChannelPower>& now,
                       const std::vector<ChannelPower>& baseline,
                       const IdleCheckSettings& settings) {
  IdleVerdict verdict;
  double uncertainty_w = 0.0;
  for (const ChannelPower& reading : now) {
    const auto base = std::ranges::find(baseline, reading.channel_id, &ChannelPower::channel_id);
    if (base == baseline.end()) continue;
    verdict.power_w += reading.power_w;
    verdict.baseline_w += base->power_w;
    // Each side's uncertainty is a bound on its own error; the check allows both, added.
    uncertainty_w += reading.uncertainty_w + base->uncertainty_w;
    ++verdict.channels;
  }
  if (verdict.channels == 0) return verdict;
  verdict.known = true;
  verdict.limit_w =
      verdict.baseline_w * (1.0 + settings.tolerance) + settings.margin_w + uncertainty_w;
  verdict.idle = verdict.power_w <= verdict.limit_w;
  return verdict;
}

std::optional<double> estimate_remaining_s(const std::vector<CellProgress>& cells,
                                           double cooldown_s, double current_elapsed_s) {
  double all_sum = 0.0;
  std::size_t all_count = 0;
  for (const CellProgress& cell : cells) {
    all_sum = std::accumulate(cell.finished_s.begin(), cell.finished_s.end(), all_sum);
    all_count += cell.finished_s.size();
  }
  if (all_count == 0) return std::nullopt;
  const double overall_mean = all_sum / static_cast<double>(all_count);
  double remaining = 0.0;
  bool current_found = false;
  for (const CellProgress& cell : cells) {
    const int done = static_cast<int>(cell.finished_s.size());
    const int left = std::max(0, cell.runs_planned - done);
    if (left == 0) continue;
    const double mean =
        done > 0 ? std::accumulate(cell.finished_s.begin(), cell.finished_s.end(), 0.0) / done
                 : overall_mean;
    remaining += left * (mean + cooldown_s);
    if (!current_found) {
      // The first cell with runs left is the one under way: its current run is partly done,
      // though never counted as taking less than nothing.
      remaining -= std::min(current_elapsed_s, mean);
      current_found = true;
    }
  }
  return remaining;
}

}  // namespace jt::study
