// SPDX-License-Identifier: BSD-3-Clause
#include "repeat.hpp"

namespace jt::cli {

RepeatSummary summarise_repeats(std::vector<RunReport> runs, int requested) {
  std::vector<const RunAnalysis*> ended;
  for (const auto& run : runs) {
    if (run.started && run.complete) ended.push_back(&run);
  }
  RepeatSummary out;
  static_cast<RepeatStatistics&>(out) = repeat_statistics(ended);
  out.requested = requested;
  out.runs = std::move(runs);
  return out;
}

}  // namespace jt::cli
