// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/energy_uncertainty.hpp"

#include <algorithm>
#include <cmath>

#include "core/clock.hpp"

namespace jt {

namespace {

double span_power_w(const ChannelSeries& s, std::size_t lo) {
  const double dt = ns_to_s(s.t_ns[lo + 1] - s.t_ns[lo]);
  return dt > 0.0 ? std::abs(s.energy_j[lo + 1] - s.energy_j[lo]) / dt : 0.0;
}

// The gaps of a channel that fall inside [from, to]: their time, and the segments they make.
struct GapsInside {
  double seconds = 0.0;
  int segments = 1;
};

GapsInside gaps_inside(const ChannelStats& stats, std::int64_t from, std::int64_t to) {
  GapsInside inside;
  for (const auto& [gap_from, gap_to] : stats.gaps) {
    const std::int64_t a = std::max(gap_from, from);
    const std::int64_t b = std::min(gap_to, to);
    if (b <= a) continue;
    inside.seconds += ns_to_s(b - a);
    ++inside.segments;
  }
  return inside;
}

}  // namespace

TimelinePoint energy_at(const ChannelSeries& s, std::int64_t t) {
  TimelinePoint out;
  const auto& ts = s.t_ns;
  if (ts.empty()) {
    out.covered = false;
    return out;
  }
  const std::size_t n = ts.size();
  if (t <= ts.front() || n == 1) {
    out.energy_j = s.energy_j.front();
    out.covered = t >= ts.front() && (n > 1 || t == ts.front());
    if (n >= 2) out.local_power_w = span_power_w(s, 0);
    return out;
  }
  if (t >= ts.back()) {
    out.energy_j = s.energy_j.back();
    out.covered = t == ts.back();
    out.local_power_w = span_power_w(s, n - 2);
    return out;
  }
  const auto hi = static_cast<std::size_t>(std::upper_bound(ts.begin(), ts.end(), t) - ts.begin());
  const std::size_t lo = hi - 1;
  const double span_s = ns_to_s(ts[hi] - ts[lo]);
  const double frac = span_s > 0 ? ns_to_s(t - ts[lo]) / span_s : 0.0;
  out.energy_j = s.energy_j[lo] + frac * (s.energy_j[hi] - s.energy_j[lo]);
  out.local_power_w = span_power_w(s, lo);
  if (t == ts[lo]) {
    // On a sample: the spans on both sides say what the device drew around it.
    if (lo > 0) out.local_power_w = std::max(out.local_power_w, span_power_w(s, lo - 1));
  } else {
    out.bracket_s = span_s;
    out.nearest_sample_s = ns_to_s(std::min(t - ts[lo], ts[hi] - t));
  }
  return out;
}

UncertaintyBudget energy_uncertainty(const ChannelInfo& info, const ChannelSeries& series,
                                     const ChannelStats& stats, double interval_s,
                                     std::int64_t start_ns, std::int64_t end_ns, double energy_j) {
  UncertaintyBudget u;
  if (series.t_ns.size() < 2 || end_ns <= start_ns) return u;
  const std::int64_t from = std::max(start_ns, series.t_ns.front());
  const std::int64_t to = std::min(end_ns, series.t_ns.back());
  const TimelinePoint a = energy_at(series, from);
  const TimelinePoint b = energy_at(series, to);
  const bool counter = info.quantity == Quantity::kEnergyCounter;
  // A counter's value can be up to one update period old; a power channel's integral can miss
  // that much, and never less than one sampling interval. An unknown refresh period (0) is taken
  // as no shorter than the poll interval. An interpolated end is off by at most the span's power
  // times its distance to the nearer sample, while the power inside the span stays below twice
  // the span's average (docs/ACCURACY.md).
  const double stale_s = counter && info.update_period_s > 0.0
                             ? info.update_period_s
                             : std::max(info.update_period_s, interval_s);
  auto end_error = [&](const TimelinePoint& p) {
    return p.local_power_w * std::max(stale_s, p.nearest_sample_s);
  };
  const GapsInside gaps = gaps_inside(stats, from, to);
  const double measured_s = std::max(0.0, ns_to_s(to - from) - gaps.seconds);
  const double step = std::max(info.scale, info.resolution);
  u.quantisation_j = counter ? 2.0 * step : step * measured_s;
  u.update_period_j = (end_error(a) + end_error(b)) * gaps.segments;
  const double avg_power_w = measured_s > 0.0 ? energy_j / measured_s : 0.0;
  u.timing_j = avg_power_w * 2.0 * ns_to_s(stats.max_half_width_ns);
  u.calibration_j = info.calibration_error * energy_j;
  u.calibration_known = info.calibration_error > 0.0;
  u.total_j = budget_total(u);
  return u;
}

double extrapolation_limit_s(const ChannelInfo& info, double interval_s) {
  return 2.0 * interval_s + info.update_period_s + 0.01;
}

SpanEnergy span_energy(const ChannelInfo& info, const ChannelSeries& series,
                       const ChannelStats& stats, double interval_s, std::int64_t start_ns,
                       std::int64_t end_ns, EdgeExtension extend) {
  SpanEnergy out;
  const auto& ts = series.t_ns;
  if (ts.size() < 2 || end_ns <= start_ns) return out;
  out.from_ns = std::clamp(start_ns, ts.front(), ts.back());
  out.to_ns = std::clamp(end_ns, out.from_ns, ts.back());
  out.measured_j = std::max(
      0.0, energy_at(series, out.to_ns).energy_j - energy_at(series, out.from_ns).energy_j);
  if (extend.start) {
    out.extrapolated_start_s =
        ns_to_s(std::max<std::int64_t>(0, std::min(ts.front(), end_ns) - start_ns));
  }
  if (extend.end) {
    out.extrapolated_end_s =
        ns_to_s(std::max<std::int64_t>(0, end_ns - std::max(ts.back(), start_ns)));
  }
  // A counter coarser than its unit shows 0 W or a whole step in one span: its average over
  // what was covered is the better guess.
  const double covered_s = ns_to_s(ts.back() - ts.front());
  const double average_w =
      covered_s > 0.0 ? (series.energy_j.back() - series.energy_j.front()) / covered_s : 0.0;
  const bool coarse = info.resolution > info.scale;
  const double start_w = coarse ? average_w : span_power_w(series, 0);
  const double end_w = coarse ? average_w : span_power_w(series, ts.size() - 2);
  const double extrapolated_j = out.extrapolated_start_s * start_w + out.extrapolated_end_s * end_w;
  out.energy_j = out.measured_j + extrapolated_j;
  out.uncertainty =
      energy_uncertainty(info, series, stats, interval_s, out.from_ns, out.to_ns, out.measured_j);
  UncertaintyBudget& u = out.uncertainty;
  // Nothing says what the device drew while unread: the guess is as uncertain as it is large.
  u.extrapolation_j = extrapolated_j;
  u.calibration_j = info.calibration_error * out.energy_j;
  u.total_j = budget_total(u);
  return out;
}

}  // namespace jt
