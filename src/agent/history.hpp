// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace jt::agent {

struct TimeSpan {
  std::int64_t from_ns = 0;
  std::int64_t to_ns = 0;
};

// The cumulative energy of every channel on a regular grid of CLOCK_MONOTONIC instants (row k
// at first + k * step), the oldest rows overwritten once it is full. Channels share the row's
// instant, so a row costs 8 bytes per channel and no timestamp (docs/AGENT.md, "History").
// NaN: the channel had no reading yet at that instant.
class EnergyGrid {
 public:
  EnergyGrid(std::size_t channels, std::int64_t step_ns, std::size_t capacity_rows);

  std::int64_t step_ns() const { return step_ns_; }
  std::size_t size() const { return count_; }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return count_ == 0; }
  std::int64_t first_t_ns() const { return first_t_ns_; }
  std::int64_t last_t_ns() const {
    return first_t_ns_ + static_cast<std::int64_t>(count_ - 1) * step_ns_;
  }
  // The row for instant t_ns, which must lie on the grid after the last row; rows skipped in
  // between repeat the last values (a stretch the history marks as a gap).
  void append(std::int64_t t_ns, std::span<const double> energy_j);
  // The channel's energy at t_ns, linear between the rows around it; empty outside the rows
  // or where a row has no value for the channel.
  std::optional<double> energy_at(std::size_t channel, std::int64_t t_ns) const;
  // Row i counted from the oldest.
  double value(std::size_t row, std::size_t channel) const;
  std::int64_t t_of(std::size_t row) const {
    return first_t_ns_ + static_cast<std::int64_t>(row) * step_ns_;
  }
  std::size_t channels() const { return channels_; }
  std::size_t memory_bytes() const { return values_.capacity() * sizeof(double); }

 private:
  std::size_t channels_;
  std::int64_t step_ns_;
  std::size_t capacity_;
  std::vector<double> values_;  // capacity_ rows of channels_ values, a ring
  std::size_t head_ = 0;        // slot of the oldest row
  std::size_t count_ = 0;
  std::int64_t first_t_ns_ = 0;
};

struct HistoryOptions {
  double fine_step_s = 0.1;    // the sampling interval
  double fine_span_s = 600.0;  // the last 10 min at the sampling interval
  double coarse_step_s = 1.0;  // and 24 h at 1 s
  double coarse_span_s = 86400.0;
  // A channel with no reading for this long no longer holds rows back: its energy stays
  // flat and the time is a gap until it reads again (a lost GPU, a dead BMC).
  double stale_after_s = 5.0;
};

// Everything the agent remembers of the node's energy: each channel's points as the sampler
// settles them become rows of a fine grid (the last minutes at the sampling interval) and of a
// coarse one (hours at 1 s), with the stretches no reading covered. Energies are counted from
// the start of the history; after a restart they continue from the journal (`resume`).
// Not thread-safe: the agent guards it.
class History {
 public:
  History(std::vector<std::string> channel_ids, HistoryOptions options);

  const std::vector<std::string>& channel_ids() const { return ids_; }
  const HistoryOptions& options() const { return options_; }
  // A settled point of channel c: its cumulative energy as the sampler counts it. after_gap:
  // the time since the channel's previous point is a gap (the sampler could not bridge it).
  void add_point(std::size_t c, std::int64_t t_ns, double energy_j, bool after_gap);
  // Emits the rows every channel has reached, and those a stale channel no longer holds back.
  void advance(std::int64_t now_ns);
  // The channel's readings not settled yet (the sampler may still withdraw one within a
  // counter's reset doubt): what `read` answers from, so that a client sees the present within
  // a sampling round rather than a second late. Replaced at every call; never made into rows.
  void set_provisional(std::size_t c, std::span<const std::int64_t> t_ns,
                       std::span<const double> energy_j);
  // The newest instant every live channel has a reading for, settled or not.
  std::optional<std::int64_t> live_latest_ns(std::int64_t now_ns) const;
  // Energy of channel c at t from the rows, else from the settled and provisional readings.
  std::optional<double> live_energy_at(std::size_t c, std::int64_t t_ns) const;
  // After a restart: the coarse rows the journal kept, and the energies the new points continue
  // from. The time between the last row and the first new point is a gap of every channel.
  void resume(std::int64_t first_t_ns, std::int64_t step_ns, std::span<const double> rows,
              std::size_t row_count);

  // Cumulative energy of channel c at t: from the fine rows where they reach, else the coarse
  // ones. `resolution_ns` is the step of the rows used.
  struct Value {
    double energy_j = 0.0;
    std::int64_t resolution_ns = 0;
  };
  std::optional<Value> energy_at(std::size_t c, std::int64_t t_ns) const;
  // Stretches of channel c that no reading covers, overlapping [from, to].
  std::vector<TimeSpan> gaps_between(std::size_t c, std::int64_t from_ns, std::int64_t to_ns) const;
  std::int64_t gap_ns(std::size_t c, std::int64_t from_ns, std::int64_t to_ns) const;
  // The instants the history holds rows for; empty before the first row.
  std::optional<TimeSpan> span() const;
  std::optional<std::int64_t> latest_ns() const;
  // Restarts of the agent the history spans: the stretch from the last journaled row to the
  // first reading after it.
  const std::vector<TimeSpan>& restarts() const { return restarts_; }
  // The newest energy of channel c (the history's count), for the exporter; empty before any.
  std::optional<double> latest_energy_j(std::size_t c) const;
  std::uint64_t gap_count(std::size_t c) const { return feeds_[c].gap_count; }
  const EnergyGrid& fine() const { return fine_; }
  const EnergyGrid& coarse() const { return coarse_; }
  std::size_t memory_bytes() const;

 private:
  struct Point {
    std::int64_t t_ns = 0;
    double energy_j = 0.0;
    bool after_gap = false;
  };
  // What one channel has sent that no row has used up yet.
  struct Feed {
    std::vector<Point> points;  // in time order; the first is at or before the next row
    double offset_j = 0.0;      // what the history had counted before this agent started
    std::int64_t last_seen_ns = 0;
    std::optional<double> last_energy_j;  // with offset
    std::vector<TimeSpan> gaps;
    std::uint64_t gap_count = 0;
    std::vector<Point> provisional;  // with offset, after the last settled point
  };

  std::optional<double> value_at(Feed& feed, std::int64_t t_ns, std::int64_t now_ns, bool& stale);
  void emit_row(std::int64_t t_ns, std::int64_t now_ns);
  void add_gap(Feed& feed, std::int64_t from_ns, std::int64_t to_ns);
  void trim_gaps(std::int64_t before_ns);
  bool ready_for(std::int64_t t_ns, std::int64_t now_ns) const;

  std::vector<std::string> ids_;
  HistoryOptions options_;
  EnergyGrid fine_;
  EnergyGrid coarse_;
  std::vector<Feed> feeds_;
  std::vector<double> row_;
  std::int64_t next_fine_ns_ = 0;  // 0: not started
  std::int64_t started_ns_ = 0;    // the first point of any channel
  std::vector<TimeSpan> restarts_;
  std::optional<std::int64_t> resumed_after_ns_;
};

}  // namespace jt::agent
