// SPDX-License-Identifier: BSD-3-Clause
#include "report/attribution_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/json_figures.hpp"
#include "report/text_format.hpp"
#include "report/warning_text.hpp"

namespace jt {

namespace {

std::string percent(double share) { return fmt::format("{:.1f} %", share * 100.0); }

}  // namespace

nlohmann::json to_json(const Attribution& attribution) {
  using nlohmann::json;
  json shares = {{"cpu_time_share", optional_number(attribution.shares.cpu_time_share)},
                 {"core_share", optional_number(attribution.shares.core_share)}};
  if (const auto& cpu = attribution.shares.cpu) {
    shares["cpu"] = {{"cgroup", cpu->cgroup_path},
                     {"job_cpu_s", cpu->job_cpu_s},
                     {"node_busy_cpu_s", cpu->node_busy_cpu_s},
                     {"allocated_cpus", cpu->allocated_cpus},
                     {"online_cpus", cpu->online_cpus},
                     {"allocated_cpus_source", cpu->allocated_cpus_source}};
  } else {
    shares["cpu"] = nullptr;
  }
  json gpus = json::array();
  for (const auto& g : attribution.shares.gpus) {
    gpus.push_back({{"id", g.id},
                    {"vendor", to_string(g.vendor)},
                    {"index", g.index},
                    {"uuid", g.uuid},
                    {"owned", g.share >= 1.0},
                    {"share", g.share},
                    {"modelled", g.modelled},
                    {"matched_by", g.matched_by}});
  }
  shares["gpus"] = std::move(gpus);

  json components = json::array();
  for (const auto& c : attribution.components) {
    json row = {{"id", c.id},         {"domain", to_string(c.domain)},
                {"device", c.device}, {"share", c.share},
                {"rule", c.rule},     {"modelled", c.modelled}};
    put(row, "", c.measured);
    put_named(row, "attributed", c.attributed);
    put_named(row, "unattributed", c.unattributed);
    components.push_back(std::move(row));
  }
  json out{{"requested", to_string(attribution.requested)},
           {"mode", to_string(attribution.mode)},
           {"mode_reason", attribution.mode_reason},
           {"policy", attribution.policy},
           {"shares", std::move(shares)},
           {"components", std::move(components)}};
  put_warnings(out, attribution.warnings);
  put_named(out, "measured_total", attribution.measured_total);
  put_named(out, "attributed_total", attribution.attributed_total);
  put_named(out, "unattributed", attribution.unattributed);
  return out;
}

std::string format_attribution(const Attribution& attribution) {
  std::string out;
  auto line = [&out](const std::string& text) { out += text + "\n"; };
  line(fmt::format("attribution: {} ({})", to_string(attribution.mode), attribution.mode_reason));
  line("  policy: " + attribution.policy);

  const auto& shares = attribution.shares;
  std::string cpu_text;
  if (const auto& cpu = shares.cpu) {
    cpu_text = fmt::format(
        "measured CPU time {} ({:.3f} of {:.3f} busy CPU-s, cgroup {}), CPUs {} ({} of {} "
        "online)",
        percent(cpu->node_busy_cpu_s > 0.0 ? std::min(1.0, cpu->job_cpu_s / cpu->node_busy_cpu_s)
                                           : 0.0),
        cpu->job_cpu_s, cpu->node_busy_cpu_s, cpu->cgroup_path,
        percent(std::min(1.0, static_cast<double>(cpu->allocated_cpus) / cpu->online_cpus)),
        cpu->allocated_cpus, cpu->online_cpus);
  } else {
    cpu_text = "job CPU time unknown";
  }
  if (shares.cpu_time_share && shares.core_share) {
    cpu_text += fmt::format("; used: CPU time {}, CPUs {}", percent(*shares.cpu_time_share),
                            percent(*shares.core_share));
  }
  line("  shares: " + cpu_text);
  if (!shares.gpus.empty()) {
    std::string gpu_text;
    for (const auto& g : shares.gpus) {
      if (!gpu_text.empty()) gpu_text += ", ";
      gpu_text += fmt::format("{} {}", g.id,
                              g.modelled ? percent(g.share) + " (MIG model)"
                                         : (g.share >= 1.0 ? "owned" : "not owned"));
    }
    line("  GPUs: " + gpu_text);
  }
  std::size_t id_width = 9;
  for (const auto& c : attribution.components) id_width = std::max(id_width, c.id.size());
  for (const auto& c : attribution.components) {
    line(fmt::format("    {:<{}}  {:>12} -> {:>12}  {}", c.id, id_width,
                     energy_text(c.measured.energy_j), energy_text(c.attributed.energy_j), c.rule));
  }
  line(
      fmt::format("  charged to the job: {} of {} measured; unattributed {} (other jobs, "
                  "unallocated idle)",
                  energy_text(attribution.attributed_total.energy_j),
                  energy_text(attribution.measured_total.energy_j),
                  energy_text(attribution.unattributed.energy_j)));
  for (const auto& w : attribution.warnings) line("  warning: " + render(w));
  return out;
}

}  // namespace jt
