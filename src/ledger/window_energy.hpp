// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ledger/run_ledger.hpp"
#include "sampler/sampler.hpp"

namespace jt {

struct WindowComponent {
  std::string id;
  Domain domain = Domain::kOther;
  Measurement measured;  // unknown (method none) when the channel has no two readings
  bool in_total = false;
  bool covered = true;  // false when the window reaches outside the channel's readings
  std::optional<double> activity_mean_pct;  // channels that report how busy they were
  std::optional<double> activity_max_pct;
};

// The energy of a window [start_ns, end_ns] of a timeline, per channel and in total.
struct WindowEnergy {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  std::vector<WindowComponent> components;
  Measurement total;          // over the cover; unknown when a part of it is
  bool short_window = false;  // shorter than 10 update periods (or sampling intervals)
  std::vector<Warning> warnings;
};

// Channels whose energies add up to the node without overlap, by index into `channels`: the
// same rule as a run's total (docs/ARCHITECTURE.md §4.4), over the channels with usable
// readings. A window of a run uses the run's cover instead (cover_of), so that they add up.
std::vector<std::size_t> cover_channels(const std::vector<ChannelInfo>& channels,
                                        const std::vector<ChannelStats>& stats);

// The timeline indices of the channels with these ids (a run's `total_cover`, the parts inside
// its node meter); ids not in the timeline (the CPU model) have none.
std::vector<std::size_t> cover_of(const Timeline& timeline, const std::vector<std::string>& ids);

// Interpolates each channel's cumulative energy at the window's ends (docs/ARCHITECTURE.md
// §4.6), with the same uncertainty model as a run (energy_uncertainty). A window shorter than 10
// update periods or sampling intervals is flagged.
WindowEnergy measure_window(const Timeline& timeline, const std::vector<std::size_t>& cover,
                            std::int64_t start_ns, std::int64_t end_ns);

// A window of a timeline that is not a run (a self-mode window): GPU counters joined as for a
// run (analyse_run), the node's non-overlapping cover, the run's uncertainty model. Kept apart
// from analyse_run so that the library inside training programs links no more of the ledger.
WindowEnergy analyse_window(const Timeline& timeline, std::int64_t start_ns, std::int64_t end_ns);

}  // namespace jt
