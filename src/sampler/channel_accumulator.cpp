// SPDX-License-Identifier: BSD-3-Clause
#include "sampler/channel_accumulator.hpp"

#include <algorithm>

namespace jt {

namespace {

constexpr double kNsPerS = 1e9;

// When a channel does not state its worst-case power, allow this much before calling a step
// impossible. Generous on purpose: the check exists to catch torn reads and resets, whose
// implied powers are orders of magnitude above any real device.
constexpr double kDefaultPlausiblePowerW = 20'000.0;
constexpr double kPlausibleHeadroom = 4.0;

// Seconds to nanoseconds for the accumulator's time limits. A limit beyond 2^62 ns (146 years)
// is as good as forever; capping it keeps the conversion and the sums of timestamps with it
// defined, whatever update period or modulus a device states.
std::int64_t limit_ns(double seconds) {
  constexpr double kForeverNs = 4.611686018427387904e18;  // 2^62
  const double ns = seconds * kNsPerS;
  if (!(ns < kForeverNs)) return static_cast<std::int64_t>(kForeverNs);
  return static_cast<std::int64_t>(ns);
}

}  // namespace

ChannelAccumulator::ChannelAccumulator(const ChannelInfo& info, Options options)
    : quantity_(info.quantity),
      scale_(info.scale),
      modulus_(info.wrap_modulus),
      update_period_s_(info.update_period_s),
      resolution_j_(info.quantity == Quantity::kEnergyCounter ? info.resolution : 0.0),
      plausible_power_w_(info.max_power_w > 0.0 ? info.max_power_w * kPlausibleHeadroom
                                                : kDefaultPlausiblePowerW),
      options_(options),
      reset_doubt_ns_(limit_ns(std::max(1.0, 10.0 * info.update_period_s))) {
  if (modulus_ > 0 && info.max_power_w > 0.0) {
    wrap_time_ns_ = limit_ns(static_cast<double>(modulus_) * scale_ / info.max_power_w);
  }
}

bool ChannelAccumulator::update(const Reading& r) {
  switch (r.status) {
    case Reading::Status::kOk: break;
    case Reading::Status::kSkipped: ++stats_.skipped; return false;
    case Reading::Status::kUnavailable:
      ++stats_.unavailable;
      if (r.error_number != 0) stats_.last_error_number = r.error_number;
      return false;
    case Reading::Status::kLost:
      if (r.error_number != 0) stats_.last_error_number = r.error_number;
      if (!stats_.lost) {
        stats_.lost = true;
        stats_.lost_at_ns = r.t_ns;
      }
      return false;
  }
  if (stats_.lost) return false;  // a lost device that answers again is not trusted
  const bool used = quantity_ == Quantity::kEnergyCounter ? update_counter(r) : update_power(r);
  if (used) stats_.max_half_width_ns = std::max(stats_.max_half_width_ns, r.half_width_ns);
  return used;
}

double ChannelAccumulator::counter_step_j(std::uint64_t from, std::uint64_t to, std::int64_t dt_ns,
                                          bool* wrapped) const {
  *wrapped = false;
  std::uint64_t delta = 0;
  if (to >= from) {
    delta = to - from;
  } else if (modulus_ > 0 && from < modulus_ && to < modulus_) {
    delta = (modulus_ - from) + to;
    *wrapped = true;
  } else {
    return -1.0;
  }
  const double step_j = static_cast<double>(delta) * scale_;
  // The counter may have been refreshed just before the earlier read and just after the
  // later one, so a step is judged over at least one update period.
  const double dt_s = std::max(static_cast<double>(dt_ns) / kNsPerS, update_period_s_);
  if (dt_s <= 0.0) return step_j == 0.0 ? 0.0 : -1.0;
  // A counter that moves in coarse steps (whole joules) may show one more step than its power
  // over a short interval would make.
  if (std::max(0.0, step_j - resolution_j_) / dt_s > plausible_power_w_) return -1.0;
  return step_j;
}

bool ChannelAccumulator::update_counter(const Reading& r) {
  if (!have_baseline_) {
    have_baseline_ = true;
    prev_raw_ = r.raw;
    prev_t_ns_ = r.t_ns;
    stats_.segments = 1;
    stats_.first_t_ns = r.t_ns;
    stats_.last_t_ns = r.t_ns;
    peak_window_start_ns_ = r.t_ns;
    peak_window_start_j_ = 0.0;
    ++stats_.samples;
    return true;
  }

  const std::int64_t dt_ns = r.t_ns - prev_t_ns_;
  const std::int64_t since_last_seen_ns = r.t_ns - (have_pending_ ? pending_t_ns_ : prev_t_ns_);
  if (r.after_gap || (wrap_time_ns_ > 0 && since_last_seen_ns > wrap_time_ns_)) {
    // Longer than the counter needs to wrap at full power (a stalled or suspended machine):
    // how many wraps happened is unknowable, so the time is a gap, not a guess. A source that
    // says its value does not continue the last one is a gap for the same reason.
    if (have_pending_) stats_.skipped += pending_count_;
    have_pending_ = false;
    before_reset_.active = false;
    add_gap(prev_t_ns_, r.t_ns);
    prev_raw_ = r.raw;
    accept(r.t_ns, 0.0);
    return true;
  }

  bool wrapped = false;
  const double step_j = counter_step_j(prev_raw_, r.raw, dt_ns, &wrapped);
  if (step_j >= 0.0 && !wrapped) {
    if (have_pending_) {
      // The held-back readings were the odd ones out: the counter carried on from before them.
      have_pending_ = false;
      stats_.skipped += pending_count_;
    }
    prev_raw_ = r.raw;
    accept(r.t_ns, step_j);
    return true;
  }
  if (step_j < 0.0 && revert_false_reset(r)) return true;

  // A wrap, an impossible step or a decrease: a torn read can look like any of them, so the
  // reading waits until the next one shows where the counter really is.
  if (have_pending_) {
    if (r.raw == pending_raw_) {
      // A torn or stuck value can repeat; only a counter that moves on confirms anything.
      ++pending_count_;
      return false;
    }
    bool pending_wrapped = false;
    const double from_pending_j =
        counter_step_j(pending_raw_, r.raw, r.t_ns - pending_t_ns_, &pending_wrapped);
    if (from_pending_j >= 0.0 && !pending_wrapped) {
      confirm_pending();
      prev_raw_ = r.raw;
      accept(r.t_ns, from_pending_j);
      return true;
    }
    stats_.skipped += pending_count_;  // the older suspect readings matched nothing
  }
  have_pending_ = true;
  pending_raw_ = r.raw;
  pending_t_ns_ = r.t_ns;
  pending_count_ = 1;
  return false;
}

bool ChannelAccumulator::accept_pending_as_wrap() {
  bool wrapped = false;
  const double through_j =
      counter_step_j(prev_raw_, pending_raw_, pending_t_ns_ - prev_t_ns_, &wrapped);
  if (through_j < 0.0 || !wrapped) return false;
  ++stats_.wraps;
  prev_raw_ = pending_raw_;
  accept(pending_t_ns_, through_j);
  stats_.samples += pending_count_ - 1;  // repeats of the same value were as real
  return true;
}

void ChannelAccumulator::add_gap(std::int64_t from_ns, std::int64_t to_ns) {
  ++stats_.segments;
  stats_.gap_s += static_cast<double>(to_ns - from_ns) / kNsPerS;
  stats_.gaps.emplace_back(from_ns, to_ns);
}

void ChannelAccumulator::confirm_pending() {
  have_pending_ = false;
  if (accept_pending_as_wrap()) return;
  // The counter went on from a new base: it was reset (driver reload, hot-plug). The energy
  // between the last good reading and the reset is unknown and stays out.
  before_reset_ = {true,
                   prev_raw_,
                   prev_t_ns_,
                   stats_.energy_j,
                   stats_.gap_s,
                   stats_.samples,
                   pending_t_ns_ + reset_doubt_ns_};
  add_gap(prev_t_ns_, pending_t_ns_);
  prev_t_ns_ = pending_t_ns_;
  prev_raw_ = pending_raw_;
  // The new base is used like the first reading of a run (and its repeats with it).
  stats_.samples += pending_count_;
}

void ChannelAccumulator::finish() {
  if (!have_pending_) return;
  have_pending_ = false;
  // Nothing came after it to confirm; a plausible wrap is far likelier than a torn read.
  if (accept_pending_as_wrap()) return;
  stats_.skipped += pending_count_;
  stats_.unresolved_at_end = true;
}

bool ChannelAccumulator::revert_false_reset(const Reading& r) {
  if (!before_reset_.active) return false;
  if (r.t_ns > before_reset_.doubt_until_ns) {
    before_reset_.active = false;
    return false;
  }
  bool wrapped = false;
  const double step_j =
      counter_step_j(before_reset_.raw, r.raw, r.t_ns - before_reset_.t_ns, &wrapped);
  if (step_j < 0.0) return false;
  // The counter is back on the track it had before the "reset": the readings in between were
  // a run of torn values that happened to look like a counter starting again. Drop them.
  stats_.skipped += (stats_.samples - before_reset_.samples) + (have_pending_ ? pending_count_ : 0);
  stats_.samples = before_reset_.samples;
  stats_.energy_j = before_reset_.energy_j;
  stats_.gap_s = before_reset_.gap_s;
  --stats_.segments;
  if (!stats_.gaps.empty()) stats_.gaps.pop_back();  // the gap the false reset had opened
  have_pending_ = false;
  before_reset_.active = false;
  reverted_after_ns_ = before_reset_.t_ns;
  if (wrapped) ++stats_.wraps;
  prev_raw_ = r.raw;
  accept(r.t_ns, step_j);
  return true;
}

bool ChannelAccumulator::update_power(const Reading& r) {
  const double power_w = static_cast<double>(r.raw) * scale_;
  if (power_w > plausible_power_w_) {
    ++stats_.skipped;
    return false;
  }
  if (!have_baseline_) {
    have_baseline_ = true;
    prev_t_ns_ = r.t_ns;
    prev_power_w_ = power_w;
    stats_.segments = 1;
    stats_.first_t_ns = r.t_ns;
    stats_.last_t_ns = r.t_ns;
    stats_.peak_power_w = power_w;
    ++stats_.samples;
    return true;
  }
  const double dt_s = static_cast<double>(r.t_ns - prev_t_ns_) / kNsPerS;
  if (dt_s < 0.0) {
    ++stats_.skipped;
    return false;
  }
  double step_j = 0.0;
  if (dt_s > options_.max_bridge_s || r.after_gap) {
    // Joining two readings across a long outage would invent the power in between.
    add_gap(prev_t_ns_, r.t_ns);
  } else {
    step_j = 0.5 * (prev_power_w_ + power_w) * dt_s;
  }
  prev_power_w_ = power_w;
  stats_.peak_power_w = std::max(stats_.peak_power_w, power_w);
  prev_t_ns_ = r.t_ns;
  stats_.energy_j += step_j;
  stats_.last_t_ns = r.t_ns;
  ++stats_.samples;
  return true;
}

void ChannelAccumulator::accept(std::int64_t t_ns, double step_j) {
  stats_.energy_j += step_j;
  prev_t_ns_ = t_ns;
  stats_.last_t_ns = t_ns;
  ++stats_.samples;
  note_peak(t_ns);
}

void ChannelAccumulator::note_peak(std::int64_t t_ns) {
  const double window_s = static_cast<double>(t_ns - peak_window_start_ns_) / kNsPerS;
  const double min_window_s = std::max(options_.peak_window_s, 10.0 * update_period_s_);
  if (window_s < min_window_s) return;
  const double power_w = (stats_.energy_j - peak_window_start_j_) / window_s;
  stats_.peak_power_w = std::max(stats_.peak_power_w, power_w);
  peak_window_start_ns_ = t_ns;
  peak_window_start_j_ = stats_.energy_j;
}

}  // namespace jt
