// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sampler/channel_accumulator.hpp"
#include "sensors/sensor.hpp"

namespace jt {

// The cumulative energy of one channel over time: the timeline that windows are cut from.
struct ChannelSeries {
  std::vector<std::int64_t> t_ns;
  std::vector<double> energy_j;
  // Channels with reports_activity: how busy the device was (percent), at the read times.
  // Points closer than the timeline spacing merge into one that keeps the higher value, so
  // that a burst of work is never averaged away.
  std::vector<std::int64_t> activity_t_ns;
  std::vector<float> activity_pct;
};

// Everything the sampler recorded, copied at one instant: what an analysis works from.
struct Timeline {
  std::vector<ChannelInfo> channels;
  std::vector<ChannelSeries> series;
  std::vector<ChannelStats> stats;
  std::vector<double> channel_interval_s;  // how often each channel was polled
  double interval_s = 0.1;                 // the fast lane's interval
};

struct SamplerOptions {
  double interval_s = 0.1;
  // Points closer than this to the previous stored point are not kept in the timeline (the
  // energy still counts); bounds memory when sampling at 1 ms for hours.
  double timeline_min_spacing_s = 0.0;
};

class Sampler {
 public:
  Sampler(std::vector<std::unique_ptr<Sensor>> sensors, SamplerOptions options);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // The poll interval actually used: the requested one, shortened so that no counter can
  // wrap twice between two reads (docs/ARCHITECTURE.md §4.3: at most half the worst-case wrap
  // time).
  double interval_s() const { return timeline_.interval_s; }
  double requested_interval_s() const { return options_.interval_s; }
  // Why the interval was shortened; empty when it was not.
  const std::string& interval_note() const { return interval_note_; }
  // The interval a channel is polled at: slow meters (Sensor::min_interval_s) have their own.
  double channel_interval_s(std::size_t channel) const;
  // How many sensors are polled in threads of their own because they are slow.
  std::size_t slow_sensor_count() const { return lanes_.size() - 1; }

  const std::vector<ChannelInfo>& channels() const { return timeline_.channels; }

  // One sampling round over every channel. Not to be called while the threads run.
  void sample_once();
  // Starts the sampling threads: one for the fast sensors, one per slow sensor.
  void start();
  void stop();
  // Stops the threads and takes the last round: the fast sensors as soon as their thread is
  // gone, each slow meter after its own (a BMC read in flight is awaited, never abandoned), so
  // that waiting for a BMC does not push the fast sensors' last reading past the run's end.
  void stop_with_last_round();
  // After the last round: settles readings still held back (see ChannelAccumulator::finish).
  void finish();

  // Valid after stop() (or when the thread never ran).
  const std::vector<ChannelSeries>& series() const { return timeline_.series; }
  // Samples of `channel` taken before this instant will not change any more: the accumulator
  // may withdraw points within its reset doubt (max(1 s, 10 update periods)), and the newest
  // point moves while the timeline thins out fast sampling.
  static std::int64_t settled_before_ns(const ChannelInfo& channel, double channel_interval_s,
                                        std::int64_t now_ns);
  // While the threads run: `use` sees the timeline with the sampler held still, without a copy
  // (the threads wait to record their next readings meanwhile).
  template <typename Fn>
  void inspect(Fn&& use) {
    std::vector<std::unique_lock<std::mutex>> data_locks;
    for (auto& lane : lanes_) data_locks.emplace_back(lane->data_mutex);
    refresh_stats_locked();
    use(static_cast<const Timeline&>(timeline_));
  }
  // While the threads run: `take(channel, series, stats)` for every channel with the sampler
  // held still. `take` may erase points from the front of a series once it has kept them
  // elsewhere (the agent's bounded history), so that a sampler that never stops stays bounded;
  // only points before settled_before_ns are final.
  template <typename Fn>
  void drain(Fn&& take) {
    std::vector<std::unique_lock<std::mutex>> data_locks;
    for (auto& lane : lanes_) data_locks.emplace_back(lane->data_mutex);
    for (std::size_t c = 0; c < timeline_.series.size(); ++c) {
      take(c, timeline_.series[c], accumulators_[c].stats());
    }
  }
  // A copy of everything recorded so far; safe while the threads run (each lane is held still
  // while its part is copied).
  Timeline snapshot();
  // While the thread runs: a round now, then `use` sees the timeline and the stats with the
  // sampler held still. For in-process measurement of a window that just ended.
  // Slow meters are not read for this: their timelines end at their last poll.
  template <typename Fn>
  void sample_now_and_inspect(Fn&& use) {
    std::lock_guard read_lock(lanes_.front()->read_mutex);
    sample_lane_locked(*lanes_.front());
    inspect(std::forward<Fn>(use));
  }
  const ChannelStats& stats(std::size_t channel) const { return accumulators_[channel].stats(); }
  // Both counters may be read while the threads run (a checkpoint).
  std::uint64_t rounds() const { return rounds_.load(std::memory_order_relaxed); }
  // Rounds that started later than one interval after they were due (the machine was busy).
  std::uint64_t late_rounds() const { return late_rounds_.load(std::memory_order_relaxed); }

 private:
  // A group of sensors polled together by one thread. Lane 0 holds the fast sensors.
  struct Lane {
    std::vector<std::size_t> sensors;  // indices into sensors_
    double interval_s = 0.1;
    std::mutex read_mutex;  // one round of this lane at a time, whoever asks for it
    std::mutex data_mutex;  // guards this lane's accumulators and series while inspected
    std::thread thread;
    bool counts_rounds = false;
  };

  void run(Lane& lane);
  void sample_lane_locked(Lane& lane);
  void record_reading(std::size_t channel);
  void refresh_stats_locked();

  SamplerOptions options_;
  std::string interval_note_;
  std::vector<std::unique_ptr<Sensor>> sensors_;
  std::vector<std::size_t> sensor_offsets_;
  // Channels, series and intervals; its stats are refreshed from the accumulators when a copy
  // or a view is handed out.
  Timeline timeline_;
  std::vector<ChannelAccumulator> accumulators_;
  std::vector<Reading> readings_;
  std::int64_t min_spacing_ns_ = 0;
  std::atomic<std::uint64_t> rounds_{0};
  std::atomic<std::uint64_t> late_rounds_{0};

  std::vector<std::unique_ptr<Lane>> lanes_;
  bool started_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_requested_ = false;
};

}  // namespace jt
