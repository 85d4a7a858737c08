// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/anchored_energy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>

#include "ledger/energy_uncertainty.hpp"

namespace jt {

namespace {

struct Anchor {
  std::size_t counter = 0;
  std::size_t shaped = 0;
};

std::vector<Anchor> anchors_of(const Timeline& timeline) {
  std::vector<Anchor> anchors;
  for (std::size_t k = 0; k < timeline.channels.size(); ++k) {
    const std::string& target = timeline.channels[k].anchors;
    if (target.empty()) continue;
    for (std::size_t j = 0; j < timeline.channels.size(); ++j) {
      if (j != k && timeline.channels[j].id == target) anchors.push_back({k, j});
    }
  }
  return anchors;
}

// The shaped channel as the counter sees it: same readings, the counter's energy and terms.
void anchor(Timeline& out, std::size_t shaped, const Timeline& in, const Anchor& a) {
  const ChannelInfo& counter = in.channels[a.counter];
  const ChannelSeries& counter_series = in.series[a.counter];
  ChannelSeries& series = out.series[shaped];
  ChannelInfo& info = out.channels[shaped];
  ChannelStats& stats = out.stats[shaped];
  const ChannelStats& counter_stats = in.stats[a.counter];
  // The counter's read problems are the channel's now: its warnings must not vanish with it.
  stats.skipped += counter_stats.skipped;
  stats.unavailable += counter_stats.unavailable;
  if (counter_stats.last_error_number != 0)
    stats.last_error_number = counter_stats.last_error_number;
  if (counter_series.t_ns.size() < 2) {
    info.note =
        fmt::format("{} gave fewer than two readings: its power alone, integrated", counter.id);
    return;
  }
  if (series.t_ns.size() < 2) {
    // No shape: the counter's own readings are the channel's.
    series.t_ns = counter_series.t_ns;
    series.energy_j = counter_series.energy_j;
    stats = counter_stats;
  } else {
    const ChannelSeries shape = series;
    for (std::size_t i = 0; i < series.t_ns.size(); ++i) {
      series.energy_j[i] = shaped_energy(counter_series, shape, series.t_ns[i]);
    }
    stats.energy_j = series.energy_j.back() - series.energy_j.front();
  }
  const std::string shape_note = info.note;
  info.quantity = Quantity::kEnergyCounter;
  info.scale = counter.scale;
  info.raw_unit = counter.raw_unit;
  info.resolution = counter.resolution;
  info.update_period_s = counter.update_period_s;
  info.calibration_error = counter.calibration_error;
  info.provenance = counter.provenance;
  info.note = counter.note.empty() ? shape_note : counter.note + "; " + shape_note;
}

}  // namespace

double shaped_energy(const ChannelSeries& counter, const ChannelSeries& shape, std::int64_t t) {
  const auto& tc = counter.t_ns;
  const auto& c = counter.energy_j;
  auto s = [&](std::int64_t x) { return energy_at(shape, x).energy_j; };
  if (t <= tc.front()) return c.front() - (s(tc.front()) - s(t));
  if (t >= tc.back()) return c.back() + (s(t) - s(tc.back()));
  const auto hi = static_cast<std::size_t>(std::upper_bound(tc.begin(), tc.end(), t) - tc.begin());
  const std::size_t lo = hi - 1;
  const double shape_step = s(tc[hi]) - s(tc[lo]);
  // A flat shape (the power read 0, or too coarse) leaves time to spread the counter's step.
  const double fraction =
      shape_step > 0.0 ? (s(t) - s(tc[lo])) / shape_step
                       : static_cast<double>(t - tc[lo]) / static_cast<double>(tc[hi] - tc[lo]);
  return c[lo] + std::clamp(fraction, 0.0, 1.0) * (c[hi] - c[lo]);
}

bool has_anchors(const Timeline& timeline) {
  return std::any_of(timeline.channels.begin(), timeline.channels.end(),
                     [](const ChannelInfo& c) { return !c.anchors.empty(); });
}

Timeline with_anchored_energies(const Timeline& timeline) {
  const std::vector<Anchor> anchors = anchors_of(timeline);
  if (anchors.empty()) return timeline;
  Timeline out = timeline;
  for (const Anchor& a : anchors) anchor(out, a.shaped, timeline, a);
  // The counters are inside the channels they anchor now; keeping them would count them twice.
  Timeline kept;
  kept.interval_s = out.interval_s;
  for (std::size_t i = 0; i < out.channels.size(); ++i) {
    const bool folded = std::any_of(anchors.begin(), anchors.end(),
                                    [&](const Anchor& a) { return a.counter == i; });
    if (folded) continue;
    kept.channels.push_back(std::move(out.channels[i]));
    kept.series.push_back(std::move(out.series[i]));
    kept.stats.push_back(std::move(out.stats[i]));
    kept.channel_interval_s.push_back(out.channel_interval_s[i]);
  }
  return kept;
}

}  // namespace jt
