// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ledger/run_ledger.hpp"
#include "ledger/window_energy.hpp"

namespace jt {

// What one window (the run or a phase) knows about a component, for the idle-waste analysis.
struct WasteInput {
  std::string id;
  std::string device;
  Domain domain = Domain::kOther;
  Measurement energy;  // unknown when too few readings, or outside them
  std::optional<double> activity_mean_pct;
  std::optional<double> activity_max_pct;
  // A GPU channel inside another GPU channel (an Intel xe card's package): not a GPU of its own.
  bool part_of_a_gpu = false;
};

struct IdleDevice {
  std::string id;
  std::string device;
  Measurement energy;
  double max_activity_pct = 0.0;
};

// Energy spent by devices that did no work during a window (the study behind jouletrace found
// accelerators left idle on mixed nodes waste energy out of proportion).
struct IdleWaste {
  std::string window;          // "run" or the phase's name
  double threshold_pct = 1.0;  // a GPU whose utilisation never exceeded this did no work
  int gpus = 0;
  int gpus_used = 0;
  int gpus_unknown = 0;  // no utilisation reading: neither used nor idle
  std::vector<IdleDevice> idle_gpus;
  Measurement idle_gpu_energy;  // the idle GPUs together
  Measurement window_energy;    // the window's total, which the shares are of
  std::optional<double> idle_gpu_share;
  // The CPU side: cores that stayed nearly idle while GPUs worked.
  std::optional<double> cpu_busy_fraction;  // CPU time / (available cores x duration)
  int cpu_cores = 0;
  Measurement cpu_energy;  // measured package and DRAM energy (no model)
  std::optional<double> cpu_share;
  bool cpu_idle_while_gpus_worked = false;
  // Its summary in words ("4 GPUs, 0 used: 612 kJ (38 %) ...") is the reporter's
  // (src/report/idle_waste_text.hpp), from these figures.
};

struct CpuActivity {
  double cpu_time_s = 0.0;
  int cores = 0;  // cores the command could run on
};

// Below this share of its cores busy, a CPU counts as idle while GPUs worked.
inline constexpr double kCpuIdleBusyFraction = 0.1;

IdleWaste find_idle_waste(const std::string& window, const std::vector<WasteInput>& components,
                          const Measurement& window_energy, double duration_s, double threshold_pct,
                          const std::optional<CpuActivity>& cpu);

std::vector<WasteInput> waste_inputs(const WindowResult& run);
// A phase: `channels` are the sampler's, in the order of the window's components.
std::vector<WasteInput> waste_inputs(const WindowEnergy& window,
                                     const std::vector<ChannelInfo>& channels);

}  // namespace jt
