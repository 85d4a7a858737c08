// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/run_analysis.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/clock.hpp"
#include "ledger/anchored_energy.hpp"

namespace jt {

namespace {

// Phases and the run over one cover, so that they can be compared: the run's total, or the
// parts inside its node meter (a meter polled every second would give every phase of a few
// seconds an uncertainty as large as its energy).
std::vector<std::size_t> phase_cover(const Timeline& timeline, const WindowResult& run) {
  return cover_of(timeline, run.coverage ? run.coverage->part_ids : run.total_cover);
}

void add_phases(const Timeline& timeline, const RunAnalysisInputs& inputs, RunAnalysis& run) {
  if (inputs.phases.empty()) return;
  const auto cover = phase_cover(timeline, run.window);
  for (std::size_t i : cover) run.phase_cover.push_back(timeline.channels[i].id);
  run.phase_cover_run = measure_window(timeline, cover, inputs.start_ns, inputs.end_ns);
  for (const auto& phase : inputs.phases) {
    PhaseReport p =
        phase_report(phase, measure_window(timeline, cover, phase.start_ns, phase.end_ns));
    if (run.window.cpu_model) {
      p.energy.warnings.push_back(Warning{"phase-without-cpu", phase.name, {}, {}});
    }
    IdleWaste waste = find_idle_waste(phase.name, waste_inputs(p.energy, timeline.channels),
                                      p.energy.total, ns_to_s(phase.end_ns - phase.start_ns),
                                      inputs.idle_activity_pct, std::nullopt);
    if (!waste.idle_gpus.empty()) run.idle_waste.push_back(std::move(waste));
    run.phases.push_back(std::move(p));
  }
  // Phases are cut after add_carbon has settled the factors: the same ones as the run's.
  run.phase_totals = phase_totals(run.phases, run.carbon_factors);
}

void add_runtime_estimate(const RunAnalysisInputs& inputs, RunAnalysis& run) {
  if (inputs.tdp == nullptr) {
    run.runtime_estimate_error = inputs.tdp_error;
    return;
  }
  run.runtime_estimate = estimate_from_runtime(allocated_devices(inputs.inventory, run.attribution),
                                               inputs.tdp, run.window.duration_s, inputs.pue,
                                               estimate_scope(run.window, run.attribution));
}

// The job's share on a shared node, else the run's total: what the runtime estimate is
// compared with, without its "unknown total" shortcut (an unknown energy gives unknown CO2e).
void add_carbon(const RunAnalysisInputs& inputs, RunAnalysis& run) {
  if (inputs.carbon != nullptr) run.carbon_factors = *inputs.carbon;
  const bool shared = run.attribution && run.attribution->mode == AttributionMode::kShared;
  run.carbon =
      carbon_of(shared ? run.attribution->attributed_total : run.window.total, run.carbon_factors);
}

// The analysis of a timeline whose GPU counters are joined already.
RunAnalysis analyse_joined(const Timeline& timeline, const RunAnalysisInputs& inputs) {
  RunAnalysis run;
  run.window =
      summarise_run(timeline, inputs.start_ns, inputs.end_ns, inputs.cpu_model, inputs.complete);
  if (inputs.profile != nullptr) {
    apply_baselines(run.window, *inputs.profile, &run.window.warnings);
    run.node = *inputs.profile;
  }
  for (const auto& w : inputs.profile_warnings) {
    run.window.warnings.push_back(text_warning("profile-unusable", "node-profile", w));
  }
  if (!run.node) run.node = NodeProfile{};
  run.node->inventory = inputs.inventory;

  if (auto attribution = attribute_energy(run.window, inputs.attribution)) {
    run.attribution = *std::move(attribution);
  } else {
    run.attribution_error = attribution.error().message;
  }
  add_runtime_estimate(inputs, run);
  add_carbon(inputs, run);
  run.idle_waste.push_back(find_idle_waste("run", waste_inputs(run.window), run.window.total,
                                           run.window.duration_s, inputs.idle_activity_pct,
                                           inputs.cpu_activity));
  add_phases(timeline, inputs, run);
  std::vector<std::string> stacked;
  for (std::size_t i : phase_cover(timeline, run.window))
    stacked.push_back(timeline.channels[i].id);
  run.power_profile = power_profile(timeline, run.window, stacked, inputs.start_ns, inputs.end_ns);
  return run;
}

}  // namespace

std::vector<PhaseTotal> phase_totals(const std::vector<PhaseReport>& phases,
                                     const CarbonFactors& carbon) {
  std::vector<PhaseTotal> totals;
  std::vector<std::vector<Measurement>> parts;
  for (const auto& p : phases) {
    auto it = std::find_if(totals.begin(), totals.end(),
                           [&](const PhaseTotal& t) { return t.name == p.phase.name; });
    if (it == totals.end()) {
      totals.push_back(PhaseTotal{p.phase.name, 0, {}, 0.0, 0, std::nullopt, {}});
      parts.emplace_back();
      it = totals.end() - 1;
    }
    ++it->count;
    parts[static_cast<std::size_t>(it - totals.begin())].push_back(p.energy.total);
    it->duration_s += ns_to_s(p.phase.end_ns - p.phase.start_ns);
    it->items += p.phase.items;
  }
  for (std::size_t i = 0; i < totals.size(); ++i) {
    totals[i].energy = sum_of(parts[i], fmt::format("{} phases added up", totals[i].count));
    totals[i].energy_per_item_j = energy_per_item(totals[i].energy.energy_j, totals[i].items);
    totals[i].carbon = carbon_of(totals[i].energy, carbon);
  }
  return totals;
}

PhaseReport phase_report(const Phase& phase, WindowEnergy energy) {
  PhaseReport p{phase, std::move(energy), std::nullopt};
  p.energy_per_item_j = energy_per_item(p.energy.total.energy_j, phase.items);
  return p;
}

CpuModel cpu_model_of(double cpu_time_s, double watts_per_busy_core) {
  const bool given = watts_per_busy_core > 0.0;
  CpuModel model;
  model.cpu_time_s = cpu_time_s;
  model.watts_per_busy_core = given ? watts_per_busy_core : kDefaultWattsPerBusyCore;
  model.assumption = fmt::format(
      "no CPU energy sensor was readable: {:g} W per busy core ({}) times the command's CPU "
      "time; idle and uncore power are not included",
      model.watts_per_busy_core,
      given ? "--model-watts-per-core" : "default, set with --model-watts-per-core");
  return model;
}

RunAnalysis analyse_run(const Timeline& timeline, const RunAnalysisInputs& inputs) {
  // GPU counters read once a second anchor the power read every round (docs/ACCURACY.md).
  return with_joined_anchors(
      timeline, [&](const Timeline& joined) { return analyse_joined(joined, inputs); });
}

IdleCalibration analyse_idle_run(const Timeline& timeline, std::int64_t start_ns,
                                 std::int64_t end_ns, const CalibrationSettings& settings) {
  return with_joined_anchors(timeline, [&](const Timeline& joined) {
    IdleCalibration out;
    out.window =
        analyse_joined(joined, RunAnalysisInputs{.start_ns = start_ns, .end_ns = end_ns}).window;
    out.baselines =
        baselines_from_window(out.window, joined.channels, joined.series, settings, &out.warnings);
    out.warnings.insert(out.warnings.end(), out.window.warnings.begin(), out.window.warnings.end());
    return out;
  });
}

std::vector<AllocatedDevice> allocated_devices(const NodeInventory& inventory,
                                               const std::optional<Attribution>& attribution) {
  std::vector<AllocatedDevice> devices = all_devices(inventory);
  if (!attribution || attribution->mode != AttributionMode::kShared) return devices;
  std::vector<AllocatedDevice> owned;
  for (auto& device : devices) {
    const bool gpu_owned = std::any_of(
        attribution->shares.gpus.begin(), attribution->shares.gpus.end(),
        [&](const GpuOwnership& gpu) { return gpu.share > 0.0 && gpu.id == device.channel_id; });
    if (device.kind != HardwareKind::kGpu || gpu_owned) owned.push_back(std::move(device));
  }
  return owned;
}

std::optional<MeasuredEnergy> estimate_scope(const WindowResult& window,
                                             const std::optional<Attribution>& attribution) {
  if (attribution && attribution->mode == AttributionMode::kShared) {
    return MeasuredEnergy{attribution->attributed_total,
                          "the energy attributed to the job on this shared node"};
  }
  if (!window.total.energy_j) return std::nullopt;
  const bool one_meter =
      window.total_cover.size() == 1 &&
      std::any_of(window.components.begin(), window.components.end(), [&](const auto& c) {
        return c.id == window.total_cover[0] && c.domain == Domain::kNode;
      });
  if (one_meter) return MeasuredEnergy{window.total, "node meter " + window.total_cover[0]};
  return MeasuredEnergy{window.total,
                        fmt::format("the sum of the measured components ({}; no node meter)",
                                    to_string(window.total.method))};
}

}  // namespace jt
