// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/idle_waste.hpp"

#include <algorithm>
#include <set>

namespace jt {

std::vector<WasteInput> waste_inputs(const WindowResult& run) {
  std::vector<WasteInput> inputs;
  std::set<std::string> gpu_ids;
  for (const auto& c : run.components) {
    if (c.domain == Domain::kGpu) gpu_ids.insert(c.id);
  }
  for (const auto& c : run.components) {
    WasteInput in;
    in.part_of_a_gpu = gpu_ids.count(c.contained_in) > 0 || !c.anchors.empty();
    in.id = c.id;
    in.device = c.device;
    in.domain = c.domain;
    in.energy = c.measured;
    in.activity_mean_pct = c.activity_mean_pct;
    in.activity_max_pct = c.activity_max_pct;
    inputs.push_back(std::move(in));
  }
  return inputs;
}

std::vector<WasteInput> waste_inputs(const WindowEnergy& window,
                                     const std::vector<ChannelInfo>& channels) {
  std::vector<WasteInput> inputs;
  std::set<std::string> inside_gpus;
  for (const auto& channel : channels) {
    if (channel.domain == Domain::kGpu)
      inside_gpus.insert(channel.contains.begin(), channel.contains.end());
  }
  for (std::size_t i = 0; i < window.components.size(); ++i) {
    const WindowComponent& c = window.components[i];
    WasteInput in;
    in.part_of_a_gpu =
        inside_gpus.count(c.id) > 0 || (i < channels.size() && !channels[i].anchors.empty());
    in.id = c.id;
    in.device = i < channels.size() ? channels[i].device : c.id;
    in.domain = c.domain;
    in.energy = c.measured;
    if (!c.covered) in.energy.energy_j.reset();
    in.activity_mean_pct = c.activity_mean_pct;
    in.activity_max_pct = c.activity_max_pct;
    inputs.push_back(std::move(in));
  }
  return inputs;
}

namespace {

std::optional<double> share_of(const Measurement& part, const Measurement& whole) {
  if (!part.energy_j || !whole.energy_j || !(*whole.energy_j > 0.0)) return std::nullopt;
  return *part.energy_j / *whole.energy_j;
}

}  // namespace

IdleWaste find_idle_waste(const std::string& window, const std::vector<WasteInput>& components,
                          const Measurement& window_energy, double duration_s, double threshold_pct,
                          const std::optional<CpuActivity>& cpu) {
  IdleWaste waste;
  waste.window = window;
  waste.threshold_pct = threshold_pct;
  waste.window_energy = window_energy;
  std::vector<Measurement> idle_parts;
  std::vector<Measurement> cpu_parts;
  for (const auto& c : components) {
    const Measurement& m = c.energy;
    if (c.domain == Domain::kPackage || c.domain == Domain::kDram) {
      if (m.energy_j && m.method != Method::kModel) cpu_parts.push_back(m);
      continue;
    }
    if (c.domain != Domain::kGpu || !m.energy_j || c.part_of_a_gpu) continue;
    ++waste.gpus;
    if (!c.activity_max_pct) {
      ++waste.gpus_unknown;
      continue;
    }
    if (*c.activity_max_pct > threshold_pct) {
      ++waste.gpus_used;
      continue;
    }
    waste.idle_gpus.push_back({c.id, c.device, m, *c.activity_max_pct});
    idle_parts.push_back(m);
  }
  waste.idle_gpu_energy = sum_of(idle_parts, "the idle GPUs added up");
  // No GPU idle is a known 0 only when every GPU's utilisation was read.
  if (idle_parts.empty() && waste.gpus_unknown == 0) {
    waste.idle_gpu_energy = exact_zero("no GPU stayed idle");
  }
  waste.cpu_energy = sum_of(cpu_parts, "CPU packages and DRAM added up");
  waste.idle_gpu_share = share_of(waste.idle_gpu_energy, window_energy);
  waste.cpu_share = share_of(waste.cpu_energy, window_energy);

  if (cpu && cpu->cores > 0 && duration_s > 0.0) {
    waste.cpu_cores = cpu->cores;
    waste.cpu_busy_fraction =
        std::clamp(cpu->cpu_time_s / (static_cast<double>(cpu->cores) * duration_s), 0.0, 1.0);
    if (waste.gpus_used > 0 && *waste.cpu_busy_fraction < kCpuIdleBusyFraction &&
        waste.cpu_energy.energy_j && *waste.cpu_energy.energy_j > 0.0) {
      waste.cpu_idle_while_gpus_worked = true;
    }
  }
  return waste;
}

}  // namespace jt
