// SPDX-License-Identifier: BSD-3-Clause
#include "sampler/sampler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <span>

#include "core/clock.hpp"

namespace jt {

Sampler::Sampler(std::vector<std::unique_ptr<Sensor>> sensors, SamplerOptions options)
    : options_(options), sensors_(std::move(sensors)) {
  for (const auto& sensor : sensors_) {
    sensor_offsets_.push_back(timeline_.channels.size());
    for (const auto& info : sensor->channels()) timeline_.channels.push_back(info);
  }

  timeline_.interval_s = options_.interval_s;
  for (const auto& info : timeline_.channels) {
    if (info.quantity != Quantity::kEnergyCounter || info.wrap_modulus == 0) continue;
    const double max_power_w = info.max_power_w > 0.0 ? info.max_power_w : 500.0;
    const double wrap_s = static_cast<double>(info.wrap_modulus) * info.scale / max_power_w;
    if (wrap_s / 2.0 < timeline_.interval_s) {
      timeline_.interval_s = wrap_s / 2.0;
      interval_note_ = fmt::format(
          "interval shortened from {:g} s to {:g} s: {} can wrap after {:g} s at {:g} W",
          options_.interval_s, timeline_.interval_s, info.id, wrap_s, max_power_w);
    }
  }

  constexpr double kShortestIntervalS = 1e-4;
  if (timeline_.interval_s < kShortestIntervalS) {
    timeline_.interval_s = kShortestIntervalS;
    interval_note_ += "; held at 100 us, the shortest interval: wraps may be missed";
  }

  ChannelAccumulator::Options acc_options;
  acc_options.max_bridge_s = std::max(5.0, 20.0 * timeline_.interval_s);
  acc_options.peak_window_s = std::max(0.1, timeline_.interval_s);
  std::vector<double> polled_every_s(timeline_.channels.size(), timeline_.interval_s);
  for (std::size_t s = 0; s < sensors_.size(); ++s) {
    for (std::size_t c = 0; c < sensors_[s]->channels().size(); ++c) {
      polled_every_s[sensor_offsets_[s] + c] =
          std::max(timeline_.interval_s, sensors_[s]->min_interval_s());
    }
  }
  for (std::size_t c = 0; c < timeline_.channels.size(); ++c) {
    double bridge = acc_options.max_bridge_s;
    // A device that refreshes its value rarely, or a meter polled rarely, still counts as
    // covered between two of its readings.
    acc_options.max_bridge_s =
        std::max({bridge, 3.0 * timeline_.channels[c].update_period_s, 3.0 * polled_every_s[c]});
    accumulators_.emplace_back(timeline_.channels[c], acc_options);
    acc_options.max_bridge_s = bridge;
  }
  readings_.resize(timeline_.channels.size());
  timeline_.series.resize(timeline_.channels.size());
  min_spacing_ns_ = static_cast<std::int64_t>(options_.timeline_min_spacing_s * 1e9);

  // A BMC answering in a second must not hold up counters read in microseconds: every sensor
  // that asks for a minimum interval is slow and gets a thread of its own, whatever --interval.
  lanes_.push_back(std::make_unique<Lane>());
  lanes_.front()->interval_s = timeline_.interval_s;
  lanes_.front()->counts_rounds = true;
  timeline_.channel_interval_s = polled_every_s;
  for (std::size_t s = 0; s < sensors_.size(); ++s) {
    if (sensors_[s]->min_interval_s() <= 0.0) {
      lanes_.front()->sensors.push_back(s);
      continue;
    }
    auto lane = std::make_unique<Lane>();
    lane->sensors.push_back(s);
    lane->interval_s = std::max(timeline_.interval_s, sensors_[s]->min_interval_s());
    lanes_.push_back(std::move(lane));
  }
}

double Sampler::channel_interval_s(std::size_t channel) const {
  return channel < timeline_.channel_interval_s.size() ? timeline_.channel_interval_s[channel]
                                                       : timeline_.interval_s;
}

Sampler::~Sampler() { stop(); }

void Sampler::sample_once() {
  // Slow meters first: the fast sensors' reading then lies next to whatever the caller does
  // right after (a run's start), not a BMC round trip away from it.
  for (auto lane = lanes_.rbegin(); lane != lanes_.rend(); ++lane) {
    std::lock_guard lock((*lane)->read_mutex);
    sample_lane_locked(**lane);
  }
}

void Sampler::sample_lane_locked(Lane& lane) {
  for (std::size_t s : lane.sensors) {
    const std::size_t first = sensor_offsets_[s];
    const std::size_t count = sensors_[s]->channels().size();
    sensors_[s]->read(std::span<Reading>(readings_).subspan(first, count));
  }
  std::lock_guard data_lock(lane.data_mutex);
  for (std::size_t s : lane.sensors) {
    const std::size_t first = sensor_offsets_[s];
    const std::size_t count = sensors_[s]->channels().size();
    for (std::size_t c = first; c < first + count; ++c) record_reading(c);
  }
  if (lane.counts_rounds) rounds_.fetch_add(1, std::memory_order_relaxed);
}

void Sampler::record_reading(std::size_t c) {
  const Reading& reading = readings_[c];
  ChannelSeries& series = timeline_.series[c];
  if (reading.status == Reading::Status::kOk && reading.activity_pct >= 0.0F) {
    auto& at = series.activity_t_ns;
    if (at.size() >= 2 && reading.t_ns - at[at.size() - 2] < min_spacing_ns_) {
      at.back() = reading.t_ns;
      series.activity_pct.back() = std::max(series.activity_pct.back(), reading.activity_pct);
    } else {
      at.push_back(reading.t_ns);
      series.activity_pct.push_back(reading.activity_pct);
    }
  }
  if (!accumulators_[c].update(reading)) return;
  if (const auto after = accumulators_[c].take_reverted_after()) {
    while (!series.t_ns.empty() && series.t_ns.back() > *after) {
      series.t_ns.pop_back();
      series.energy_j.pop_back();
    }
  }
  const std::int64_t t = reading.t_ns;
  if (series.t_ns.size() >= 2 && t - series.t_ns[series.t_ns.size() - 2] < min_spacing_ns_) {
    // Move the newest point forward instead of adding one: the series stays exact at its
    // ends while its density stays bounded.
    series.t_ns.back() = t;
    series.energy_j.back() = accumulators_[c].energy_j();
  } else {
    series.t_ns.push_back(t);
    series.energy_j.push_back(accumulators_[c].energy_j());
  }
}

std::int64_t Sampler::settled_before_ns(const ChannelInfo& channel, double channel_interval_s,
                                        std::int64_t now_ns) {
  const double doubt_s = std::max(1.0, 10.0 * channel.update_period_s);
  return now_ns - static_cast<std::int64_t>((doubt_s + 2.0 * channel_interval_s) * 1e9);
}

void Sampler::refresh_stats_locked() {
  timeline_.stats.clear();
  for (const auto& acc : accumulators_) timeline_.stats.push_back(acc.stats());
}

Timeline Sampler::snapshot() {
  std::vector<std::unique_lock<std::mutex>> data_locks;
  for (auto& lane : lanes_) data_locks.emplace_back(lane->data_mutex);
  refresh_stats_locked();
  return timeline_;
}

void Sampler::finish() {
  for (std::size_t c = 0; c < timeline_.channels.size(); ++c) {
    const std::uint64_t samples = accumulators_[c].stats().samples;
    accumulators_[c].finish();
    if (accumulators_[c].stats().samples == samples) continue;
    timeline_.series[c].t_ns.push_back(accumulators_[c].stats().last_t_ns);
    timeline_.series[c].energy_j.push_back(accumulators_[c].energy_j());
  }
}

void Sampler::start() {
  if (started_) return;
  started_ = true;
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = false;
  }
  for (auto& lane : lanes_) {
    if (lane->sensors.empty()) continue;
    Lane* raw = lane.get();
    lane->thread = std::thread([this, raw] { run(*raw); });
  }
}

void Sampler::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_all();
  for (auto& lane : lanes_) {
    if (lane->thread.joinable()) lane->thread.join();
  }
  started_ = false;
}

void Sampler::stop_with_last_round() {
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_all();
  for (auto& lane : lanes_) {
    if (lane->thread.joinable()) lane->thread.join();
    std::lock_guard read_lock(lane->read_mutex);
    sample_lane_locked(*lane);
  }
  started_ = false;
}

void Sampler::run(Lane& lane) {
  using Clock = std::chrono::steady_clock;
  const auto interval =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(lane.interval_s));
  auto next = Clock::now() + interval;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (wake_.wait_until(lock, next, [this] { return stop_requested_; })) return;
    lock.unlock();
    {
      std::lock_guard read_lock(lane.read_mutex);
      sample_lane_locked(lane);
    }
    const auto now = Clock::now();
    next += interval;
    if (now > next) {
      // Skip the rounds that could not happen rather than firing them back to back.
      if (lane.counts_rounds) late_rounds_.fetch_add(1, std::memory_order_relaxed);
      next = now + interval;
    }
    lock.lock();
  }
}

}  // namespace jt
