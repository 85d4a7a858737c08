// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ledger/window_energy.hpp"
#include "sampler/sampler.hpp"
#include "sensors/sensor.hpp"

namespace jt {

// JT_MODE_SELF: the same probe and sampler as `jouletrace run`, running inside the program, so
// a window's energy can be cut from the timeline when it ends.
class SelfMeasurement {
 public:
  // Probes, takes a first round (so windows begun from now on are covered) and starts the
  // sampling thread. Throws only on programming or allocation errors.
  SelfMeasurement(const ProbeContext& context, double interval_s);
  ~SelfMeasurement();
  SelfMeasurement(const SelfMeasurement&) = delete;
  SelfMeasurement& operator=(const SelfMeasurement&) = delete;

  // Whether any energy sensor was found; when not, why (one line per backend).
  bool has_channels() const { return !sampler_->channels().empty(); }
  const std::string& probe_summary() const { return probe_summary_; }
  double interval_s() const { return sampler_->interval_s(); }

  // A round now, then the energy of [start_ns, end_ns] (end_ns in the past).
  WindowEnergy measure(std::int64_t start_ns, std::int64_t end_ns);

  // In the child after fork(): the sampling thread does not exist there; the sampler is leaked
  // rather than joined.
  void abandon_after_fork();

 private:
  std::unique_ptr<Sampler> sampler_;
  std::string probe_summary_;
};

}  // namespace jt
