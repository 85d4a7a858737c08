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
    sensor_offsets_.push_back(channels_.size());
    for (const auto& info : sensor->channels()) channels_.push_back(info);
  }

  interval_s_ = options_.interval_s;
  for (const auto& info : channels_) {
    if (info.quantity != Quantity::kEnergyCounter || info.wrap_modulus == 0) continue;
    const double max_power_w = info.max_power_w > 0.0 ? info.max_power_w : 500.0;
    const double wrap_s = static_cast<double>(info.wrap_modulus) * info.scale / max_power_w;
    if (wrap_s / 2.0 < interval_s_) {
      interval_s_ = wrap_s / 2.0;
      interval_note_ = fmt::format(
          "interval shortened from {:g} s to {:g} s: {} can wrap after {:g} s at {:g} W",
          options_.interval_s, interval_s_, info.id, wrap_s, max_power_w);
    }
  }

  constexpr double kShortestIntervalS = 1e-4;
  if (interval_s_ < kShortestIntervalS) {
    interval_s_ = kShortestIntervalS;
    interval_note_ += "; held at 100 us, the shortest interval: wraps may be missed";
  }

  ChannelAccumulator::Options acc_options;
  acc_options.max_bridge_s = std::max(5.0, 20.0 * interval_s_);
  acc_options.peak_window_s = std::max(0.1, interval_s_);
  for (const auto& info : channels_) {
    double bridge = acc_options.max_bridge_s;
    // A device that refreshes its value rarely still counts as covered between refreshes.
    acc_options.max_bridge_s = std::max(bridge, 3.0 * info.update_period_s);
    accumulators_.emplace_back(info, acc_options);
    acc_options.max_bridge_s = bridge;
  }
  readings_.resize(channels_.size());
  series_.resize(channels_.size());
  min_spacing_ns_ = static_cast<std::int64_t>(options_.timeline_min_spacing_s * 1e9);
}

Sampler::~Sampler() { stop(); }

void Sampler::sample_once() {
  std::lock_guard lock(round_mutex_);
  sample_round_locked();
}

void Sampler::sample_round_locked() {
  for (std::size_t s = 0; s < sensors_.size(); ++s) {
    const std::size_t first = sensor_offsets_[s];
    const std::size_t count = sensors_[s]->channels().size();
    sensors_[s]->read(std::span<Reading>(readings_).subspan(first, count));
  }
  for (std::size_t c = 0; c < channels_.size(); ++c) {
    if (!accumulators_[c].update(readings_[c])) continue;
    ChannelSeries& series = series_[c];
    if (const auto after = accumulators_[c].take_reverted_after()) {
      while (!series.t_ns.empty() && series.t_ns.back() > *after) {
        series.t_ns.pop_back();
        series.energy_j.pop_back();
      }
    }
    const std::int64_t t = readings_[c].t_ns;
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
  ++rounds_;
}

void Sampler::finish() {
  for (std::size_t c = 0; c < channels_.size(); ++c) {
    const std::uint64_t samples = accumulators_[c].stats().samples;
    accumulators_[c].finish();
    if (accumulators_[c].stats().samples == samples) continue;
    series_[c].t_ns.push_back(accumulators_[c].stats().last_t_ns);
    series_[c].energy_j.push_back(accumulators_[c].energy_j());
  }
}

void Sampler::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void Sampler::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sampler::run() {
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(interval_s_));
  auto next = Clock::now() + interval;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (wake_.wait_until(lock, next, [this] { return stop_requested_; })) return;
    lock.unlock();
    sample_once();
    const auto now = Clock::now();
    next += interval;
    if (now > next) {
      // Skip the rounds that could not happen rather than firing them back to back.
      ++late_rounds_;
      next = now + interval;
    }
    lock.lock();
  }
}

}  // namespace jt
