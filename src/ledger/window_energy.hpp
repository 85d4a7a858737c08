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
  Method method = Method::kCounter;
  double energy_j = 0.0;
  double uncertainty_j = 0.0;
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
  double energy_j = 0.0;
  double uncertainty_j = 0.0;
  std::string method;         // counter, power-integrated, model, mixed, none
  bool short_window = false;  // shorter than 10 update periods (or sampling intervals)
  std::vector<std::string> warnings;
};

// Channels whose energies add up to the node without overlap, by index into `channels`: the
// same rule as a run's total (ARCHITECTURE §4.4), over the channels with usable readings.
std::vector<std::size_t> cover_channels(const std::vector<ChannelInfo>& channels,
                                        const std::vector<ChannelStats>& stats);

// Interpolates each channel's cumulative energy at the window's ends (ARCHITECTURE §4.6). The
// uncertainty of each end grows with the channel's update period and sampling interval; a window
// shorter than 10 of either is flagged. `interval_s` is the sampling interval used.
WindowEnergy measure_window(const std::vector<ChannelInfo>& channels,
                            const std::vector<ChannelSeries>& series,
                            const std::vector<std::size_t>& cover, double interval_s,
                            std::int64_t start_ns, std::int64_t end_ns);

}  // namespace jt
