#include "ledger/idle_waste.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace jt {

std::string format_energy(double joules) {
  const double magnitude = std::abs(joules);
  if (magnitude >= 1e9) return fmt::format("{:.2f} GJ", joules * 1e-9);
  if (magnitude >= 1e6) return fmt::format("{:.2f} MJ", joules * 1e-6);
  if (magnitude >= 1e4) return fmt::format("{:.0f} kJ", joules * 1e-3);
  if (magnitude >= 1e3) return fmt::format("{:.2f} kJ", joules * 1e-3);
  return fmt::format("{:.1f} J", joules);
}

std::vector<WasteInput> waste_inputs(const WindowResult& run) {
  std::vector<WasteInput> inputs;
  for (const auto& c : run.components) {
    WasteInput in;
    in.id = c.id;
    in.device = c.device;
    in.domain = c.domain;
    in.energy_j = c.energy_j;
    in.uncertainty_j = c.uncertainty.total_j;
    in.measured = c.method == Method::kModel || c.samples >= 2;
    in.modelled = c.method == Method::kModel;
    in.method = c.method;
    in.activity_mean_pct = c.activity_mean_pct;
    in.activity_max_pct = c.activity_max_pct;
    inputs.push_back(std::move(in));
  }
  return inputs;
}

std::vector<WasteInput> waste_inputs(const WindowEnergy& window,
                                     const std::vector<ChannelInfo>& channels) {
  std::vector<WasteInput> inputs;
  for (std::size_t i = 0; i < window.components.size(); ++i) {
    const WindowComponent& c = window.components[i];
    WasteInput in;
    in.id = c.id;
    in.device = i < channels.size() ? channels[i].device : c.id;
    in.domain = c.domain;
    in.energy_j = c.energy_j;
    in.uncertainty_j = c.uncertainty_j;
    in.measured = c.covered;
    in.method = c.method;
    in.activity_mean_pct = c.activity_mean_pct;
    in.activity_max_pct = c.activity_max_pct;
    inputs.push_back(std::move(in));
  }
  return inputs;
}

IdleWaste find_idle_waste(const std::string& window, const std::vector<WasteInput>& components,
                          double window_energy_j, double duration_s, double threshold_pct,
                          const std::optional<CpuActivity>& cpu) {
  IdleWaste waste;
  waste.window = window;
  waste.threshold_pct = threshold_pct;
  waste.window_energy_j = window_energy_j;
  double idle_variance = 0.0;
  for (const auto& c : components) {
    if (c.domain == Domain::kPackage || c.domain == Domain::kDram) {
      if (c.measured && !c.modelled) waste.cpu_energy_j += c.energy_j;
      continue;
    }
    if (c.domain != Domain::kGpu || !c.measured) continue;
    ++waste.gpus;
    if (!c.activity_max_pct) {
      ++waste.gpus_unknown;
      continue;
    }
    if (*c.activity_max_pct > threshold_pct) {
      ++waste.gpus_used;
      continue;
    }
    waste.idle_gpus.push_back(
        {c.id, c.device, c.energy_j, c.uncertainty_j, *c.activity_max_pct, c.method});
    waste.idle_gpu_energy_j += c.energy_j;
    idle_variance += c.uncertainty_j * c.uncertainty_j;
  }
  waste.idle_gpu_uncertainty_j = std::sqrt(idle_variance);
  if (window_energy_j > 0.0) {
    waste.idle_gpu_share = waste.idle_gpu_energy_j / window_energy_j;
    waste.cpu_share = waste.cpu_energy_j / window_energy_j;
  }

  if (waste.gpus > 0) {
    std::string line =
        fmt::format("{} GPU{}, {} used", waste.gpus, waste.gpus == 1 ? "" : "s", waste.gpus_used);
    if (!waste.idle_gpus.empty()) {
      line += fmt::format(": {} ({:.0f} % of {}) spent by {} idle GPU{}",
                          format_energy(waste.idle_gpu_energy_j), 100.0 * waste.idle_gpu_share,
                          format_energy(window_energy_j), waste.idle_gpus.size(),
                          waste.idle_gpus.size() == 1 ? "" : "s");
    }
    if (waste.gpus_unknown > 0) {
      line += fmt::format("; {} without utilisation readings, neither counted idle nor used",
                          waste.gpus_unknown);
    }
    waste.summary.push_back(std::move(line));
  }

  if (cpu && cpu->cores > 0 && duration_s > 0.0) {
    waste.cpu_cores = cpu->cores;
    waste.cpu_busy_fraction =
        std::clamp(cpu->cpu_time_s / (static_cast<double>(cpu->cores) * duration_s), 0.0, 1.0);
    if (waste.gpus_used > 0 && *waste.cpu_busy_fraction < kCpuIdleBusyFraction &&
        waste.cpu_energy_j > 0.0) {
      waste.cpu_idle_while_gpus_worked = true;
      waste.summary.push_back(fmt::format(
          "CPU cores {:.1f} % busy ({:.1f} of {} cores) while GPUs worked: CPU packages and DRAM "
          "drew {} ({:.0f} % of {})",
          100.0 * *waste.cpu_busy_fraction, *waste.cpu_busy_fraction * cpu->cores, cpu->cores,
          format_energy(waste.cpu_energy_j), 100.0 * waste.cpu_share,
          format_energy(window_energy_j)));
    }
  }
  return waste;
}

}  // namespace jt
