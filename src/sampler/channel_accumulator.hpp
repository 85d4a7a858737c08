// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "sensors/sensor.hpp"

namespace jt {

struct ChannelStats {
  double energy_j = 0.0;
  std::uint64_t samples = 0;      // readings that were used
  std::uint64_t skipped = 0;      // torn, empty, unparsable or implausible readings dropped
  std::uint64_t unavailable = 0;  // reads that failed
  int last_error_number = 0;      // errno of the last failed read that had one
  std::uint64_t wraps = 0;
  int segments = 0;    // a reset or a gap starts a new one
  double gap_s = 0.0;  // time not covered by any segment after the first reading
  // Each such gap, from the last reading before it to the first after: a window of the run
  // counts only the gaps inside it.
  std::vector<std::pair<std::int64_t, std::int64_t>> gaps;
  double peak_power_w = 0.0;
  // The longest a usable read took, halved: how far a reading's timestamp may be off.
  std::int64_t max_half_width_ns = 0;
  std::int64_t first_t_ns = 0;
  std::int64_t last_t_ns = 0;
  bool lost = false;
  std::int64_t lost_at_ns = 0;
  // The last reading was held back and nothing after it said whether it was real.
  bool unresolved_at_end = false;
};

// Turns a channel's raw readings into energy, applying the rules of docs/ARCHITECTURE.md §4.3:
// wraps add the modulus; a decrease that is no plausible wrap starts a new segment; a reading
// that would imply an impossible power is held back until the next one shows whether the
// counter really moved (a reset) or the reading was torn (skipped and counted).
class ChannelAccumulator {
 public:
  struct Options {
    // Power-only channels: a gap longer than this is not bridged by the trapezoid rule.
    double max_bridge_s = 5.0;
    // Peak power is taken over windows at least this long, so one counter update does not
    // read as a spike.
    double peak_window_s = 0.1;
  };

  ChannelAccumulator(const ChannelInfo& info, Options options);

  // Returns true when the reading was used; energy_j() is then the cumulative energy at r.t_ns.
  bool update(const Reading& r);
  // Settles a reading still held back after the last one: a plausible wrap is taken, anything
  // else is counted as skipped.
  void finish();

  double energy_j() const { return stats_.energy_j; }
  // After a false reset was undone: the time after which points already handed out (to a
  // timeline) belong to the torn readings and must go. Cleared by the call.
  std::optional<std::int64_t> take_reverted_after() {
    return std::exchange(reverted_after_ns_, std::nullopt);
  }
  const ChannelStats& stats() const { return stats_; }
  // Highest power the channel may plausibly show; above it a reading is suspect.
  double plausible_power_w() const { return plausible_power_w_; }

 private:
  bool update_counter(const Reading& r);
  bool update_power(const Reading& r);
  // Energy in joules between two raw counter values, or a negative number when the step
  // cannot be a plausible advance of the counter over dt_ns.
  double counter_step_j(std::uint64_t from, std::uint64_t to, std::int64_t dt_ns,
                        bool* wrapped) const;
  // The held-back reading was real: a wrap when the step to it is one, else a reset.
  void confirm_pending();
  // Takes the held-back reading as the far side of a wrap when the step to it is one.
  bool accept_pending_as_wrap();
  // Undoes a reset that the counter itself disproves by carrying on from before it.
  bool revert_false_reset(const Reading& r);
  void accept(std::int64_t t_ns, double step_j);
  void add_gap(std::int64_t from_ns, std::int64_t to_ns);
  void note_peak(std::int64_t t_ns);

  Quantity quantity_;
  double scale_;
  std::uint64_t modulus_;
  double update_period_s_;
  double resolution_j_;
  double plausible_power_w_;
  Options options_;
  ChannelStats stats_;

  bool have_baseline_ = false;
  std::uint64_t prev_raw_ = 0;
  std::int64_t prev_t_ns_ = 0;
  double prev_power_w_ = 0.0;

  bool have_pending_ = false;
  std::uint64_t pending_raw_ = 0;
  std::int64_t pending_t_ns_ = 0;
  std::uint64_t pending_count_ = 0;  // readings held back with pending_raw_

  std::optional<std::int64_t> reverted_after_ns_;
  // A reset stays in doubt this long: torn values can mimic a restarting counter for a while.
  std::int64_t reset_doubt_ns_ = 0;
  // Time the counter needs to wrap at the channel's worst-case power; 0 when unknown.
  std::int64_t wrap_time_ns_ = 0;
  struct BeforeReset {
    bool active = false;
    std::uint64_t raw = 0;
    std::int64_t t_ns = 0;
    double energy_j = 0.0;
    double gap_s = 0.0;
    std::uint64_t samples = 0;
    std::int64_t doubt_until_ns = 0;
  } before_reset_;

  std::int64_t peak_window_start_ns_ = 0;
  double peak_window_start_j_ = 0.0;
};

}  // namespace jt
