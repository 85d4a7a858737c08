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

  const std::vector<ChannelInfo>& channels() const { return channels_; }

  // One sampling round over every channel. Not to be called while the thread runs.
  void sample_once();
  void start();
  void stop();
  // After the last round: settles readings still held back (see ChannelAccumulator::finish).
  void finish();

  // Valid after stop() (or when the thread never ran).
  const std::vector<ChannelSeries>& series() const { return series_; }
  // While the thread runs: a round now, then `use` sees the timeline and the stats with the
  // sampler held still. For in-process measurement of a window that just ended.
  template <typename Fn>
  void sample_now_and_inspect(Fn&& use) {
    std::lock_guard lock(round_mutex_);
    sample_round_locked();
    std::vector<ChannelStats> stats;
    for (const auto& acc : accumulators_) stats.push_back(acc.stats());
    use(channels_, series_, stats);
  }
  const ChannelStats& stats(std::size_t channel) const { return accumulators_[channel].stats(); }
  std::uint64_t rounds() const { return rounds_; }
  // Rounds that started later than one interval after they were due (the machine was busy).
  std::uint64_t late_rounds() const { return late_rounds_; }

 private:
  void run();
  void sample_round_locked();

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
  std::uint64_t rounds_ = 0;
  std::uint64_t late_rounds_ = 0;

  std::mutex round_mutex_;  // one round at a time, whoever asks for it
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_requested_ = false;
};

}  // namespace jt
