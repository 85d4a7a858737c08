// SPDX-License-Identifier: BSD-3-Clause
#include "report/idle_waste_text.hpp"

#include <fmt/format.h>

#include "report/text_format.hpp"

namespace jt {

namespace {

std::string share_text(const std::optional<double>& share) {
  return share ? fmt::format("{:.0f} %", 100.0 * *share) : std::string("an unknown share");
}

std::string energy_or_unknown(const Measurement& m) {
  return m.energy_j ? rounded_energy_text(*m.energy_j) : std::string("unknown");
}

std::string gpu_line(const IdleWaste& waste) {
  std::string line =
      fmt::format("{} GPU{}, {} used", waste.gpus, waste.gpus == 1 ? "" : "s", waste.gpus_used);
  if (!waste.idle_gpus.empty()) {
    line += fmt::format(": {} ({} of {}) spent by {} idle GPU{}",
                        energy_or_unknown(waste.idle_gpu_energy), share_text(waste.idle_gpu_share),
                        energy_or_unknown(waste.window_energy), waste.idle_gpus.size(),
                        waste.idle_gpus.size() == 1 ? "" : "s");
  }
  if (waste.gpus_unknown > 0) {
    line += fmt::format("; {} without utilisation readings, neither counted idle nor used",
                        waste.gpus_unknown);
  }
  return line;
}

std::string cpu_line(const IdleWaste& waste) {
  const double busy = waste.cpu_busy_fraction.value_or(0.0);
  return fmt::format(
      "CPU cores {:.1f} % busy ({:.1f} of {} cores) while GPUs worked: CPU packages and DRAM "
      "drew {} ({} of {})",
      100.0 * busy, busy * waste.cpu_cores, waste.cpu_cores, energy_or_unknown(waste.cpu_energy),
      share_text(waste.cpu_share), energy_or_unknown(waste.window_energy));
}

}  // namespace

std::vector<std::string> idle_waste_summary(const IdleWaste& waste) {
  std::vector<std::string> lines;
  if (waste.gpus > 0) lines.push_back(gpu_line(waste));
  if (waste.cpu_idle_while_gpus_worked) lines.push_back(cpu_line(waste));
  return lines;
}

}  // namespace jt
