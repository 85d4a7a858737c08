// SPDX-License-Identifier: BSD-3-Clause
#pragma once

// Result documents for the tests of `jouletrace compare`, built by hand with known figures, as
// `jouletrace run -o` and `run --repeat N -o` write them (only the fields compare reads, plus
// the identity fields).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace jt::test {

struct PhaseSpec {
  std::string name;
  double duration_s = 0.0;
  std::uint64_t items = 0;
  std::optional<double> energy_j;
  double uncertainty_j = 0.0;
  std::optional<double> idle_gpu_j;  // the idle GPUs' energy in the phase; empty: no GPU
};

struct RunSpec {
  std::string hostname = "node-a";
  double duration_s = 10.0;
  std::optional<double> package_j;
  double package_uncertainty_j = 0.0;
  std::optional<double> gpu_j;  // empty: no GPU component
  double gpu_uncertainty_j = 0.0;
  std::optional<double> total_j;
  double total_uncertainty_j = 0.0;
  std::string method = "counter";
  std::vector<PhaseSpec> phases;
  std::optional<double> estimate_j;  // empty: no rated power (the estimate is an error entry)
  bool estimate_complete = true;
  int gpus = 0;
  std::optional<double> idle_gpu_j;
  double idle_gpu_uncertainty_j = 0.0;
  bool complete = true;
  std::optional<nlohmann::json> carbon;  // the run report's carbon object; empty: none
};

inline nlohmann::json nullable(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

inline void put_figure(nlohmann::json& out, const std::string& prefix,
                       const std::optional<double>& energy, double uncertainty,
                       const std::string& method) {
  out[prefix + "energy_j"] = nullable(energy);
  out[prefix + "uncertainty_j"] = energy ? nlohmann::json(uncertainty) : nlohmann::json(nullptr);
  out[prefix + "method"] = energy ? method : "none";
}

inline nlohmann::json idle_entry(const std::string& window, int gpus,
                                 const std::optional<double>& idle_j, double uncertainty) {
  nlohmann::json w = {{"window", window}, {"gpus", gpus}};
  put_figure(w, "idle_gpu_", idle_j, uncertainty, "counter");
  return w;
}

inline nlohmann::json run_document(const RunSpec& spec) {
  using nlohmann::json;
  json run = {{"schema", "jouletrace.run"},    {"version", 1},
              {"complete", spec.complete},     {"started", true},
              {"hostname", spec.hostname},     {"command", {"python3", "train.py"}},
              {"duration_s", spec.duration_s}, {"started_at", "2026-12-06T12:00:00Z"},
              {"phases", json::array()}};
  put_figure(run, "total_", spec.total_j, spec.total_uncertainty_j, spec.method);
  json package = {{"id", "powercap/intel-rapl:0"}, {"domain", "package"}};
  put_figure(package, "", spec.package_j, spec.package_uncertainty_j, spec.method);
  run["components"] = json::array({package});
  if (spec.gpu_j) {
    json gpu = {{"id", "nvml/GPU-0"}, {"domain", "gpu"}};
    put_figure(gpu, "", spec.gpu_j, spec.gpu_uncertainty_j, "counter");
    run["components"].push_back(gpu);
  }
  run["phase_totals"] = json::array();
  run["idle_waste"] = json::array();
  if (spec.gpus > 0) {
    run["idle_waste"].push_back(
        idle_entry("run", spec.gpus, spec.idle_gpu_j, spec.idle_gpu_uncertainty_j));
  }
  for (const PhaseSpec& p : spec.phases) {
    json total = {{"name", p.name}, {"count", 1}, {"duration_s", p.duration_s}, {"items", p.items}};
    put_figure(total, "", p.energy_j, p.uncertainty_j, spec.method);
    total["energy_per_item_j"] = p.items > 0 && p.energy_j
                                     ? json(*p.energy_j / static_cast<double>(p.items))
                                     : json(nullptr);
    run["phase_totals"].push_back(total);
    if (spec.gpus > 0)
      run["idle_waste"].push_back(idle_entry(p.name, spec.gpus, p.idle_gpu_j, 1.0));
  }
  if (spec.estimate_j) {
    const bool known = spec.total_j && spec.estimate_complete;
    run["runtime_estimate"] = {
        {"complete", spec.estimate_complete},
        {"estimate_j", *spec.estimate_j},
        {"relative_error",
         known ? json((*spec.estimate_j - *spec.total_j) / *spec.total_j) : json(nullptr)}};
  } else {
    run["runtime_estimate"] = {{"error", "no rated power for any device"}};
  }
  if (spec.carbon) run["carbon"] = *spec.carbon;
  return run;
}

inline nlohmann::json repeat_document(const std::vector<RunSpec>& specs) {
  nlohmann::json runs = nlohmann::json::array();
  for (const RunSpec& spec : specs) runs.push_back(run_document(spec));
  return {{"schema", "jouletrace.repeat"},
          {"version", 1},
          {"complete", true},
          {"requested_runs", specs.size()},
          {"runs", runs}};
}

}  // namespace jt::test
