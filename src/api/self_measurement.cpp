// SPDX-License-Identifier: BSD-3-Clause
#include "api/self_measurement.hpp"

#include <signal.h>

#include "ledger/window_energy.hpp"
#include "sensors/registry.hpp"

namespace jt {

SelfMeasurement::SelfMeasurement(const ProbeContext& context, double interval_s) {
  ProbeOutcome probe = probe_all(context, local_backends());
  for (const auto& report : probe.reports) {
    if (!probe_summary_.empty()) probe_summary_ += "; ";
    probe_summary_ += report.backend + ": " + to_string(report.status);
    if (!report.detail.empty()) probe_summary_ += " (" + report.detail + ")";
    if (!report.hint.empty()) probe_summary_ += ", " + report.hint;
  }
  SamplerOptions options;
  options.interval_s = interval_s;
  // As `jouletrace run`: below 10 ms the timeline keeps one point per 10 ms, which bounds the
  // memory of a long program; every read still counts.
  options.timeline_min_spacing_s = interval_s < 0.01 ? 0.01 : 0.0;
  sampler_ = std::make_unique<Sampler>(std::move(probe.sensors), options);
  sampler_->sample_once();
  // The sampling thread must not run the program's signal handlers nor take its
  // process-directed signals: it inherits a mask with everything blocked.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
  try {
    sampler_->start();
  } catch (...) {
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    throw;
  }
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

SelfMeasurement::~SelfMeasurement() {
  if (sampler_) sampler_->stop();
}

WindowEnergy SelfMeasurement::measure(std::int64_t start_ns, std::int64_t end_ns) {
  WindowEnergy energy;
  sampler_->sample_now_and_inspect(
      [&](const Timeline& recorded) { energy = analyse_window(recorded, start_ns, end_ns); });
  return energy;
}

void SelfMeasurement::abandon_after_fork() { (void)sampler_.release(); }

}  // namespace jt
