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
  // wrap twice between two reads (ARCHITECTURE §4.3: at most half the worst-case wrap time).
  double interval_s() const { return interval_s_; }
  double requested_interval_s() const { return options_.interval_s; }
  // Why the interval was shortened; empty when it was not.
  const std::string& interval_note() const { return interval_note_; }
  // The interval a channel is polled at: slow meters (Sensor::min_interval_s) have their own.
  double channel_interval_s(std::size_t channel) const;
  // How many sensors are polled in threads of their own because they are slow.
  std::size_t slow_sensor_count() const { return lanes_.size() - 1; }

  const std::vector<ChannelInfo>& channels() const { return channels_; }

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
  const std::vector<ChannelSeries>& series() const { return series_; }
  // While the thread runs: a round now, then `use` sees the timeline and the stats with the
  // sampler held still. For in-process measurement of a window that just ended.
  // Slow meters are not read for this: their timelines end at their last poll.
  template <typename Fn>
  void sample_now_and_inspect(Fn&& use) {
    std::lock_guard read_lock(lanes_.front()->read_mutex);
    sample_lane_locked(*lanes_.front());
    std::vector<std::unique_lock<std::mutex>> data_locks;
    for (auto& lane : lanes_) data_locks.emplace_back(lane->data_mutex);
    std::vector<ChannelStats> stats;
    for (const auto& acc : accumulators_) stats.push_back(acc.stats());
    use(channels_, series_, stats);
  }
  const ChannelStats& stats(std::size_t channel) const { return accumulators_[channel].stats(); }
  std::uint64_t rounds() const { return rounds_; }
  // Rounds that started later than one interval after they were due (the machine was busy).
  std::uint64_t late_rounds() const { return late_rounds_; }

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

  SamplerOptions options_;
  double interval_s_ = 0.1;
  std::string interval_note_;
  std::vector<std::unique_ptr<Sensor>> sensors_;
  std::vector<std::size_t> sensor_offsets_;
  std::vector<ChannelInfo> channels_;
  std::vector<ChannelAccumulator> accumulators_;
  std::vector<Reading> readings_;
  std::vector<ChannelSeries> series_;
  std::int64_t min_spacing_ns_ = 0;
  std::vector<double> channel_interval_s_;
  std::uint64_t rounds_ = 0;
  std::uint64_t late_rounds_ = 0;

  std::vector<std::unique_ptr<Lane>> lanes_;
  bool started_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_requested_ = false;
};

}  // namespace jt
