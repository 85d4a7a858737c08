// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/power_profile.hpp"

#include <algorithm>
#include <cmath>

#include "core/clock.hpp"
#include "ledger/window_energy.hpp"

namespace jt {

namespace {

// Buckets no shorter than the fast lane's interval: a shorter one would hold no reading.
std::size_t bucket_count(std::int64_t start_ns, std::int64_t end_ns, double interval_s,
                         std::size_t max_buckets) {
  const double duration_s = ns_to_s(end_ns - start_ns);
  if (duration_s <= 0.0 || max_buckets == 0) return 0;
  const double fitting = interval_s > 0.0 ? std::floor(duration_s / interval_s) : 1.0;
  return std::clamp<std::size_t>(static_cast<std::size_t>(fitting), 1, max_buckets);
}

// The energy between two readings on either side of a gap was not measured: a bucket that
// overlaps one would show a dip that the device never made.
bool overlaps_gap(const ChannelStats& stats, std::int64_t from, std::int64_t to) {
  return std::any_of(stats.gaps.begin(), stats.gaps.end(),
                     [&](const auto& gap) { return gap.first < to && gap.second > from; });
}

bool contains_others(const WindowResult& run, const std::string& id) {
  if (run.coverage && run.coverage->node_meter_id == id) return true;
  return std::any_of(run.components.begin(), run.components.end(),
                     [&](const ComponentResult& c) { return c.contained_in == id; });
}

std::vector<ProfileSeries> empty_series(const Timeline& timeline, const WindowResult& run,
                                        const std::vector<std::string>& stacked_ids,
                                        std::vector<std::size_t>& channel_of) {
  std::vector<ProfileSeries> series;
  for (const ComponentResult& c : run.components) {
    const auto it = std::find_if(timeline.channels.begin(), timeline.channels.end(),
                                 [&](const ChannelInfo& info) { return info.id == c.id; });
    if (it == timeline.channels.end()) continue;  // the CPU model: no readings to cut
    channel_of.push_back(static_cast<std::size_t>(it - timeline.channels.begin()));
    ProfileSeries s;
    s.id = c.id;
    s.domain = c.domain;
    s.method = method_of(*it);
    s.stacked = std::find(stacked_ids.begin(), stacked_ids.end(), c.id) != stacked_ids.end();
    s.contains_others = contains_others(run, c.id);
    series.push_back(std::move(s));
  }
  return series;
}

}  // namespace

PowerProfile power_profile(const Timeline& timeline, const WindowResult& run,
                           const std::vector<std::string>& stacked_ids, std::int64_t start_ns,
                           std::int64_t end_ns, std::size_t max_buckets) {
  PowerProfile profile;
  profile.buckets = bucket_count(start_ns, end_ns, timeline.interval_s, max_buckets);
  if (profile.buckets == 0) return profile;
  const double span_ns = static_cast<double>(end_ns - start_ns);
  profile.bucket_s = ns_to_s(end_ns - start_ns) / static_cast<double>(profile.buckets);
  std::vector<std::size_t> channel_of;
  profile.series = empty_series(timeline, run, stacked_ids, channel_of);
  const auto edge = [&](std::size_t i) {
    return start_ns + static_cast<std::int64_t>(std::llround(span_ns * static_cast<double>(i) /
                                                             static_cast<double>(profile.buckets)));
  };
  for (std::size_t b = 0; b < profile.buckets; ++b) {
    const std::int64_t from = edge(b);
    const std::int64_t to = edge(b + 1);
    const WindowEnergy window = measure_window(timeline, {}, from, to);
    const double seconds = ns_to_s(to - from);
    for (std::size_t s = 0; s < profile.series.size(); ++s) {
      const std::size_t c = channel_of[s];
      const Measurement& m = window.components[c].measured;
      const bool known = m.energy_j && window.components[c].covered &&
                         !overlaps_gap(timeline.stats[c], from, to) && seconds > 0.0;
      profile.series[s].power_w.push_back(known ? std::optional(*m.energy_j / seconds)
                                                : std::nullopt);
      profile.series[s].uncertainty_w.push_back(known ? std::optional(m.uncertainty_j() / seconds)
                                                      : std::nullopt);
    }
  }
  return profile;
}

}  // namespace jt
