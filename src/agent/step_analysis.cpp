// SPDX-License-Identifier: BSD-3-Clause
#include "agent/step_analysis.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "report/warning_text.hpp"

namespace jt::agent {

namespace {

// The vendors whose GPUs the node measures; NVIDIA alone where it measures none, as before AMD and
// Intel GPUs were read.
std::vector<Vendor> gpu_vendors(const Timeline& timeline) {
  std::vector<Vendor> vendors;
  for (const ChannelInfo& c : timeline.channels) {
    if (c.domain != Domain::kGpu || c.identity.vendor == Vendor::kUnknown) continue;
    if (std::ranges::find(vendors, c.identity.vendor) == vendors.end()) {
      vendors.push_back(c.identity.vendor);
    }
  }
  if (vendors.empty()) vendors.push_back(Vendor::kNvidia);
  return vendors;
}

// The GPUs a step may use, as Slurm numbers them (SLURM_STEP_GPUS, docs/SLURM.md): read like
// CUDA_VISIBLE_DEVICES outside the job's cgroup, where CUDA's own numbering is not renumbered.
// Slurm numbers the GPUs of its gres.conf whatever their vendor (AMD through ROCm SMI, like
// rocm-smi): the list applies to each vendor measured. A node with GPUs of two vendors is not
// told apart (docs/backends/amd.md).
AttributionInputs step_attribution(const SlurmStep& step, const StepContext& context,
                                   const Timeline& timeline) {
  AttributionInputs in;
  in.mode = AttributionMode::kAuto;
  for (const Vendor vendor : gpu_vendors(timeline)) {
    GpuVisibility gpus = parse_cuda_visible_devices(step.gpus);
    gpus.vendor = vendor;
    gpus.variable = "SLURM_STEP_GPUS";
    in.gpus.push_back(std::move(gpus));
  }
  if (!step.cgroup_before) {
    in.cpu_unavailable_reason = step.cgroup_problem;
    return in;
  }
  auto after = snapshot_cgroup_path(context.probe, step.cgroup_before->cgroup_path, 0);
  if (!after) {
    in.cpu_unavailable_reason = after.error().message;
    return in;
  }
  auto usage = usage_between(*step.cgroup_before, *after);
  if (usage) {
    in.cpu = *usage;
  } else {
    in.cpu_unavailable_reason = usage.error().message;
  }
  return in;
}

std::vector<store::ComponentFigure> component_figures(const WindowResult& window) {
  std::vector<store::ComponentFigure> out;
  for (const ComponentResult& c : window.components) {
    out.push_back({c.id, to_string(c.domain), store::figure_of(c.measured), c.measured.covered_s,
                   c.in_total});
  }
  return out;
}

double owned_share(const std::optional<Attribution>& attribution, const std::string& id) {
  if (!attribution || attribution->mode == AttributionMode::kExclusive) return 1.0;
  for (const GpuOwnership& g : attribution->shares.gpus)
    if (g.id == id) return g.share;
  return 0.0;
}

// The GPUs of the node with the step's share of each, and the idle ones' energy it is charged.
void gpu_figures(const RunAnalysis& analysis, store::StepRecord& record) {
  const IdleWaste* run = analysis.idle_waste.empty() ? nullptr : &analysis.idle_waste.front();
  std::vector<Measurement> idle_parts;
  for (const ComponentResult& c : analysis.window.components) {
    if (c.domain != Domain::kGpu) continue;
    store::GpuFigure g;
    g.id = c.id;
    g.share = owned_share(analysis.attribution, c.id);
    if (analysis.attribution) {
      for (const GpuOwnership& o : analysis.attribution->shares.gpus) {
        if (o.id != c.id) continue;
        g.uuid = o.uuid;
        g.index = o.index;
      }
    }
    g.energy = store::figure_of(c.measured);
    if (run != nullptr) {
      for (const IdleDevice& d : run->idle_gpus) {
        if (d.id != c.id) continue;
        g.idle = true;
        if (g.share > 0.0) idle_parts.push_back(scaled(d.energy, g.share, false, "idle GPU share"));
      }
    }
    record.gpus_measured.push_back(std::move(g));
  }
  if (run == nullptr) return;  // no idle analysis: unknown
  record.idle_gpu = idle_parts.empty() ? store::figure_of(exact_zero("no idle GPU of the step"))
                                       : store::figure_of(sum_of(idle_parts));
}

void estimate_figure(const RunAnalysis& analysis, store::StepRecord& record) {
  if (!analysis.runtime_estimate) {
    record.estimate_basis = analysis.runtime_estimate_error;
    return;
  }
  const RuntimeEstimate& e = *analysis.runtime_estimate;
  record.estimate.method = Method::kModel;
  std::vector<std::string> devices;
  for (const DeviceEstimate& d : e.devices) {
    devices.push_back(d.rated_power_w ? fmt::format("{} {:g} W", d.device.label, *d.rated_power_w)
                                      : fmt::format("{} unknown", d.device.label));
  }
  record.estimate_basis = fmt::format("rated power x {:.0f} s x PUE {:g}: {}", e.runtime_s, e.pue,
                                      fmt::join(devices, ", "));
  // An estimate that leaves out a device is not the estimate of the step: unknown, not low.
  if (e.complete) record.estimate.energy_j = e.estimate_j;
}

void attribution_figure(const RunAnalysis& analysis, store::StepRecord& record) {
  if (!analysis.attribution) {
    record.attribution_rule = fmt::format("none ({})", analysis.attribution_error);
    return;
  }
  const Attribution& a = *analysis.attribution;
  record.attribution_rule = fmt::format("{}: {}", to_string(a.mode), a.mode_reason);
  record.attributed = store::figure_of(a.attributed_total);
}

}  // namespace

store::StepRecord analyse_step(const Timeline& timeline, const SlurmStep& step,
                               std::vector<Phase> phases, const StepContext& context,
                               const std::string& node, std::int64_t end_unix_ms) {
  RunAnalysisInputs in;
  in.start_ns = step.begin_ns;
  in.end_ns = step.end_ns.value_or(step.begin_ns);
  in.inventory = context.inventory;
  in.attribution = step_attribution(step, context, timeline);
  in.tdp = context.tdp ? &*context.tdp : nullptr;
  in.tdp_error = context.tdp_error;
  in.idle_activity_pct = context.idle_activity_pct;
  if (in.attribution.cpu) {
    in.cpu_activity = {in.attribution.cpu->job_cpu_s, in.attribution.cpu->allocated_cpus};
  }
  in.phases = std::move(phases);
  const RunAnalysis analysis = analyse_run(timeline, in);

  store::StepRecord record;
  record.key = {step.cluster, step.job_id, step.step_id, node};
  record.uid = step.uid;
  record.user = step.user;
  record.begin_unix_ms = step.begin_unix_ms;
  record.end_unix_ms = end_unix_ms;
  record.scope = scope_of_step(step.step_id);
  record.detail = step.phases ? "phases" : "summary";
  record.cpus = step.cpus;
  record.gpus = step.gpus;
  record.cgroup = step.cgroup;
  record.components = component_figures(analysis.window);
  record.total = store::figure_of(analysis.window.total);
  if (analysis.window.coverage) record.coverage = analysis.window.coverage->coverage;
  attribution_figure(analysis, record);
  gpu_figures(analysis, record);
  estimate_figure(analysis, record);
  for (const PhaseTotal& p : analysis.phase_totals)
    record.phases.push_back({p.name, p.count, p.duration_s, p.items, store::figure_of(p.energy)});
  record.warnings = render(analysis.window.warnings);
  if (analysis.attribution) {
    for (std::string& w : render(analysis.attribution->warnings))
      record.warnings.push_back(std::move(w));
  }
  return record;
}

}  // namespace jt::agent
