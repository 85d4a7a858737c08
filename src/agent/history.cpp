// SPDX-License-Identifier: BSD-3-Clause
#include "agent/history.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace jt::agent {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::int64_t to_ns(double seconds) {
  return static_cast<std::int64_t>(std::llround(seconds * 1e9));
}

// The first multiple of step at or after t.
std::int64_t grid_ceil(std::int64_t t_ns, std::int64_t step_ns) {
  const std::int64_t q = t_ns / step_ns;
  std::int64_t g = q * step_ns;
  if (g < t_ns) g += step_ns;
  return g;
}

std::size_t rows_for(double span_s, double step_s) {
  return static_cast<std::size_t>(std::max(2.0, std::ceil(span_s / step_s) + 1.0));
}

}  // namespace

EnergyGrid::EnergyGrid(std::size_t channels, std::int64_t step_ns, std::size_t capacity_rows)
    : channels_(channels),
      step_ns_(std::max<std::int64_t>(1, step_ns)),
      capacity_(std::max<std::size_t>(1, capacity_rows)) {
  values_.resize(capacity_ * channels_, kNaN);
}

void EnergyGrid::append(std::int64_t t_ns, std::span<const double> energy_j) {
  if (count_ > 0 && t_ns <= last_t_ns()) return;
  if (count_ > 0) {
    // Rows the agent was not there for repeat the last values: flat, never invented energy.
    std::vector<double> last(channels_);
    for (std::size_t c = 0; c < channels_; ++c) last[c] = value(count_ - 1, c);
    const std::int64_t missing = (t_ns - last_t_ns()) / step_ns_ - 1;
    const std::int64_t fill = std::min<std::int64_t>(missing, static_cast<std::int64_t>(capacity_));
    if (missing > fill) {
      // Only the newest rows of a long absence fit; the older ones fall out of the ring anyway.
      count_ = 0;
      head_ = 0;
      first_t_ns_ = t_ns - fill * step_ns_;
      for (std::int64_t i = 0; i < fill; ++i) append(first_t_ns_ + i * step_ns_, last);
    } else {
      for (std::int64_t i = 0; i < missing; ++i) append(last_t_ns() + step_ns_, last);
    }
  }
  if (count_ == 0) first_t_ns_ = t_ns;
  std::size_t slot = 0;
  if (count_ < capacity_) {
    slot = (head_ + count_) % capacity_;
    ++count_;
  } else {
    slot = head_;
    head_ = head_ + 1 == capacity_ ? 0 : head_ + 1;
    first_t_ns_ += step_ns_;
  }
  std::copy(energy_j.begin(), energy_j.end(),
            values_.begin() + static_cast<std::ptrdiff_t>(slot * channels_));
}

double EnergyGrid::value(std::size_t row, std::size_t channel) const {
  return values_[((head_ + row) % capacity_) * channels_ + channel];
}

std::optional<double> EnergyGrid::energy_at(std::size_t channel, std::int64_t t_ns) const {
  if (count_ == 0 || t_ns < first_t_ns_ || t_ns > last_t_ns()) return std::nullopt;
  const auto row = static_cast<std::size_t>((t_ns - first_t_ns_) / step_ns_);
  const double before = value(row, channel);
  const std::int64_t offset_ns = t_ns - t_of(row);
  if (offset_ns == 0) {
    if (std::isnan(before)) return std::nullopt;
    return before;
  }
  const double after = value(row + 1, channel);
  if (std::isnan(before) || std::isnan(after)) return std::nullopt;
  const double f = static_cast<double>(offset_ns) / static_cast<double>(step_ns_);
  return before + (after - before) * f;
}

History::History(std::vector<std::string> channel_ids, HistoryOptions options)
    : ids_(std::move(channel_ids)),
      options_(options),
      fine_(ids_.size(), to_ns(options.fine_step_s),
            rows_for(options.fine_span_s, options.fine_step_s)),
      coarse_(ids_.size(), to_ns(options.coarse_step_s),
              rows_for(options.coarse_span_s, options.coarse_step_s)),
      feeds_(ids_.size()),
      row_(ids_.size(), kNaN) {}

void History::add_gap(Feed& feed, std::int64_t from_ns, std::int64_t to_ns) {
  if (to_ns <= from_ns) return;
  ++feed.gap_count;
  if (!feed.gaps.empty() && feed.gaps.back().to_ns >= from_ns) {
    feed.gaps.back().to_ns = std::max(feed.gaps.back().to_ns, to_ns);
    return;
  }
  feed.gaps.push_back({from_ns, to_ns});
}

void History::add_point(std::size_t c, std::int64_t t_ns, double energy_j, bool after_gap) {
  Feed& feed = feeds_[c];
  if (!feed.points.empty() && t_ns <= feed.points.back().t_ns) return;
  const double energy = feed.offset_j + energy_j;
  if (feed.points.empty() && feed.last_energy_j && resumed_after_ns_) {
    // The first point after a restart: nothing covered the time the agent was down.
    add_gap(feed, *resumed_after_ns_, t_ns);
    after_gap = true;
    if (restarts_.empty() || restarts_.back().from_ns != *resumed_after_ns_) {
      restarts_.push_back({*resumed_after_ns_, t_ns});
    }
  }
  if (!feed.points.empty()) {
    const std::int64_t stale_ns = to_ns(options_.stale_after_s);
    if (after_gap || t_ns - feed.points.back().t_ns > stale_ns) {
      add_gap(feed, feed.points.back().t_ns, t_ns);
    }
  }
  feed.points.push_back({t_ns, energy, after_gap});
  feed.last_seen_ns = t_ns;
  feed.last_energy_j = energy;
}

std::optional<double> History::value_at(Feed& feed, std::int64_t t_ns, std::int64_t now_ns,
                                        bool& stale) {
  stale = false;
  auto& points = feed.points;
  if (points.empty()) {
    // No reading since this agent started: the journal's last value, flat, or none at all.
    if (feed.last_energy_j) return feed.last_energy_j;
    return std::nullopt;
  }
  if (t_ns < points.front().t_ns) return std::nullopt;
  const auto after =
      std::ranges::find_if(points, [t_ns](const Point& p) { return p.t_ns >= t_ns; });
  if (after == points.end()) {
    stale = now_ns - points.back().t_ns > to_ns(options_.stale_after_s);
    return points.back().energy_j;
  }
  if (after->t_ns == t_ns || after == points.begin()) return after->energy_j;
  const Point& before = *(after - 1);
  // Points before the one a row needs are used up; the one before stays for the next row.
  const double value = after->after_gap
                           ? before.energy_j
                           : before.energy_j + (after->energy_j - before.energy_j) *
                                                   (static_cast<double>(t_ns - before.t_ns) /
                                                    static_cast<double>(after->t_ns - before.t_ns));
  points.erase(points.begin(), after - 1);
  return value;
}

bool History::ready_for(std::int64_t t_ns, std::int64_t now_ns) const {
  const std::int64_t stale_ns = to_ns(options_.stale_after_s);
  for (const Feed& feed : feeds_) {
    std::int64_t seen = feed.points.empty() ? feed.last_seen_ns : feed.points.back().t_ns;
    if (seen >= t_ns) continue;
    // A channel that stopped reading holds nothing back once it is stale; one that never read
    // counts from the history's start.
    if (seen == 0) seen = started_ns_;
    if (now_ns - seen <= stale_ns) return false;
  }
  return true;
}

void History::emit_row(std::int64_t t_ns, std::int64_t now_ns) {
  for (std::size_t c = 0; c < feeds_.size(); ++c) {
    bool stale = false;
    const auto value = value_at(feeds_[c], t_ns, now_ns, stale);
    row_[c] = value.value_or(kNaN);
  }
  if (t_ns % fine_.step_ns() == 0) fine_.append(t_ns, row_);
  if (t_ns % coarse_.step_ns() == 0) coarse_.append(t_ns, row_);
}

void History::advance(std::int64_t now_ns) {
  const std::int64_t fine_step = fine_.step_ns();
  const std::int64_t coarse_step = coarse_.step_ns();
  if (next_fine_ns_ == 0) {
    std::int64_t first = std::numeric_limits<std::int64_t>::max();
    for (const Feed& feed : feeds_) {
      if (!feed.points.empty()) first = std::min(first, feed.points.front().t_ns);
    }
    if (first == std::numeric_limits<std::int64_t>::max()) return;
    next_fine_ns_ = grid_ceil(first, fine_step);
    started_ns_ = first;
  }
  for (;;) {
    // After a restart the coarse grid goes on from the first new reading; EnergyGrid::append
    // keeps the rows of the time it was down flat.
    const bool resuming = resumed_after_ns_ && coarse_.last_t_ns() <= *resumed_after_ns_;
    const std::int64_t next_coarse = coarse_.empty() || resuming
                                         ? grid_ceil(next_fine_ns_, coarse_step)
                                         : coarse_.last_t_ns() + coarse_step;
    const std::int64_t t = std::min(next_fine_ns_, next_coarse);
    if (!ready_for(t, now_ns)) break;
    emit_row(t, now_ns);
    if (t == next_fine_ns_) next_fine_ns_ += fine_step;
  }
  if (!coarse_.empty()) trim_gaps(coarse_.first_t_ns());
}

void History::trim_gaps(std::int64_t before_ns) {
  for (Feed& feed : feeds_) {
    std::erase_if(feed.gaps, [before_ns](const TimeSpan& g) { return g.to_ns < before_ns; });
  }
  std::erase_if(restarts_, [before_ns](const TimeSpan& g) { return g.to_ns < before_ns; });
}

void History::resume(std::int64_t first_t_ns, std::int64_t step_ns, std::span<const double> rows,
                     std::size_t row_count) {
  if (step_ns != coarse_.step_ns() || row_count == 0) return;
  const std::size_t n = ids_.size();
  for (std::size_t r = 0; r < row_count; ++r) {
    coarse_.append(first_t_ns + static_cast<std::int64_t>(r) * step_ns, rows.subspan(r * n, n));
  }
  for (std::size_t c = 0; c < n; ++c) {
    for (std::size_t r = row_count; r-- > 0;) {
      const double v = rows[r * n + c];
      if (std::isnan(v)) continue;
      feeds_[c].offset_j = v;
      feeds_[c].last_energy_j = v;
      feeds_[c].last_seen_ns = coarse_.last_t_ns();
      break;
    }
  }
  resumed_after_ns_ = coarse_.last_t_ns();
}

void History::set_provisional(std::size_t c, std::span<const std::int64_t> t_ns,
                              std::span<const double> energy_j) {
  Feed& feed = feeds_[c];
  feed.provisional.clear();
  const std::int64_t after = feed.points.empty() ? 0 : feed.points.back().t_ns;
  for (std::size_t i = 0; i < t_ns.size(); ++i) {
    if (t_ns[i] > after) feed.provisional.push_back({t_ns[i], feed.offset_j + energy_j[i], false});
  }
}

std::optional<std::int64_t> History::live_latest_ns(std::int64_t now_ns) const {
  std::optional<std::int64_t> latest;
  const std::int64_t stale_ns = to_ns(options_.stale_after_s);
  for (const Feed& feed : feeds_) {
    std::int64_t newest = feed.points.empty() ? 0 : feed.points.back().t_ns;
    if (!feed.provisional.empty()) newest = feed.provisional.back().t_ns;
    if (newest == 0 || now_ns - newest > stale_ns) continue;  // a stale channel holds none back
    latest = latest ? std::min(*latest, newest) : newest;
  }
  const auto rows = latest_ns();
  if (rows && (!latest || *rows > *latest)) return rows;
  return latest;
}

std::optional<double> History::live_energy_at(std::size_t c, std::int64_t t_ns) const {
  if (const auto row = energy_at(c, t_ns)) return row->energy_j;
  const Feed& feed = feeds_[c];
  // The readings after the rows: the settled ones the rows have not used yet, then the rest.
  const Point* before = nullptr;
  const auto between = [&](const Point& p) -> std::optional<double> {
    if (p.t_ns < t_ns) {
      before = &p;
      return std::nullopt;
    }
    if (p.t_ns == t_ns || before == nullptr)
      return p.t_ns == t_ns ? std::optional(p.energy_j) : std::nullopt;
    if (p.after_gap) return before->energy_j;
    const double f =
        static_cast<double>(t_ns - before->t_ns) / static_cast<double>(p.t_ns - before->t_ns);
    return before->energy_j + (p.energy_j - before->energy_j) * f;
  };
  for (const Point& p : feed.points) {
    if (const auto v = between(p)) return v;
    if (p.t_ns >= t_ns) return std::nullopt;
  }
  for (const Point& p : feed.provisional) {
    if (const auto v = between(p)) return v;
    if (p.t_ns >= t_ns) return std::nullopt;
  }
  return std::nullopt;
}

std::optional<History::Value> History::energy_at(std::size_t c, std::int64_t t_ns) const {
  if (const auto fine = fine_.energy_at(c, t_ns)) return Value{*fine, fine_.step_ns()};
  if (const auto coarse = coarse_.energy_at(c, t_ns)) return Value{*coarse, coarse_.step_ns()};
  return std::nullopt;
}

std::vector<TimeSpan> History::gaps_between(std::size_t c, std::int64_t from_ns,
                                            std::int64_t to_ns) const {
  std::vector<TimeSpan> out;
  for (const TimeSpan& g : feeds_[c].gaps) {
    if (g.to_ns > from_ns && g.from_ns < to_ns) out.push_back(g);
  }
  return out;
}

std::int64_t History::gap_ns(std::size_t c, std::int64_t from_ns, std::int64_t to_ns) const {
  std::int64_t total = 0;
  for (const TimeSpan& g : gaps_between(c, from_ns, to_ns)) {
    total += std::min(g.to_ns, to_ns) - std::max(g.from_ns, from_ns);
  }
  return total;
}

std::optional<TimeSpan> History::span() const {
  if (coarse_.empty() && fine_.empty()) return std::nullopt;
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  std::int64_t last = std::numeric_limits<std::int64_t>::min();
  for (const EnergyGrid* grid : {&fine_, &coarse_}) {
    if (grid->empty()) continue;
    first = std::min(first, grid->first_t_ns());
    last = std::max(last, grid->last_t_ns());
  }
  return TimeSpan{first, last};
}

std::optional<std::int64_t> History::latest_ns() const {
  const auto s = span();
  if (!s) return std::nullopt;
  return s->to_ns;
}

std::optional<double> History::latest_energy_j(std::size_t c) const {
  return feeds_[c].last_energy_j;
}

std::size_t History::memory_bytes() const {
  std::size_t bytes = fine_.memory_bytes() + coarse_.memory_bytes();
  for (const Feed& feed : feeds_) {
    bytes += feed.points.capacity() * sizeof(Point) + feed.gaps.capacity() * sizeof(TimeSpan);
  }
  return bytes;
}

}  // namespace jt::agent
