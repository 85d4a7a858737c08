// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/attribution.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>

#include "core/text.hpp"

namespace jt {

const char* to_string(AttributionMode mode) {
  switch (mode) {
    case AttributionMode::kExclusive: return "exclusive";
    case AttributionMode::kShared: return "shared";
    case AttributionMode::kAuto: return "auto";
  }
  return "auto";
}

std::optional<AttributionMode> attribution_mode_from_string(std::string_view name) {
  if (name == "exclusive") return AttributionMode::kExclusive;
  if (name == "shared") return AttributionMode::kShared;
  if (name == "auto") return AttributionMode::kAuto;
  return std::nullopt;
}

namespace {

std::string percent(double share) { return fmt::format("{:.1f} %", share * 100.0); }

bool is_cpu_side(Domain domain) {
  return domain == Domain::kPackage || domain == Domain::kCore || domain == Domain::kUncore ||
         domain == Domain::kDram || domain == Domain::kPsys;
}

bool is_gpu_side(Domain domain) { return domain == Domain::kGpu || domain == Domain::kGpuMemory; }

// One part of the non-overlapping cover of the node. `source` is null for the rest of node.
struct Row {
  std::string id;
  Domain domain = Domain::kOther;
  std::string device;
  Measurement measured;
  const ComponentResult* source = nullptr;
};

constexpr const char* kRestId = "rest-of-node";
constexpr const char* kRestDevice = "rest of node (node meter minus measured parts)";

// Only measured components (cover members, a meter's parts) become rows.
Row row_of(const ComponentResult& c) { return Row{c.id, c.domain, c.device, c.measured, &c}; }

Row rest_row(Measurement rest) {
  return Row{kRestId, Domain::kNode, kRestDevice, std::move(rest), nullptr};
}

const ComponentResult* find_component(const WindowResult& window, const std::string& id) {
  for (const auto& c : window.components) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

// The parts whose energies add up to the run's total without counting anything twice.
std::vector<Row> cover_rows(const WindowResult& window, std::vector<Warning>& warnings) {
  std::vector<Row> rows;
  if (window.coverage) {
    for (const auto& id : window.coverage->part_ids) {
      if (const auto* c = find_component(window, id)) {
        rows.push_back(row_of(*c));
      } else {
        warnings.push_back(Warning{"coverage-part-missing", id, {}, {}});
      }
    }
    rows.push_back(rest_row(window.coverage->rest));
    return rows;
  }
  const ComponentResult* node = nullptr;
  for (const auto& c : window.components) {
    if (!c.in_total) continue;
    if (c.domain == Domain::kNode) node = &c;
    rows.push_back(row_of(c));
  }
  if (node == nullptr) return rows;
  // A node meter without the ledger's breakdown: its direct parts still carry GPU ownership.
  rows.clear();
  std::vector<const Measurement*> parts;
  for (const auto& c : window.components) {
    if (&c == node || c.contained_in != node->id || c.domain == Domain::kOther ||
        !c.measured.energy_j) {
      continue;
    }
    rows.push_back(row_of(c));
    parts.push_back(&c.measured);
  }
  rows.push_back(rest_row(
      difference(node->measured, sum_of(parts), node->id + " minus the measured parts inside it")));
  return rows;
}

struct GpuMatch {
  std::vector<GpuOwnership> gpus;
  std::vector<Warning> warnings;
};

// The GPUs of one vendor, as the selectors of its visibility variable see them.
using VendorGpus = std::vector<GpuOwnership*>;

std::vector<GpuOwnership*> gpus_with_uuid_prefix(const VendorGpus& gpus,
                                                 const std::string& prefix) {
  std::vector<GpuOwnership*> found;
  for (GpuOwnership* gpu : gpus) {
    if (gpu->uuid.empty()) continue;
    // A full UUID wins over a longer one it happens to prefix.
    if (equal_ignoring_case(gpu->uuid, prefix)) return {gpu};
    if (starts_with_ignoring_case(gpu->uuid, prefix)) found.push_back(gpu);
  }
  return found;
}

void select_by_index(const GpuVisibility& visibility, const GpuSelector& sel,
                     const VendorGpus& gpus, GpuMatch& match) {
  bool found = false;
  for (GpuOwnership* gpu : gpus) {
    if (gpu->index != sel.index) continue;
    gpu->share = 1.0;
    gpu->matched_by = std::to_string(sel.index);
    found = true;
  }
  if (!found) {
    match.warnings.push_back(
        Warning{"visibility-index-unmatched", visibility.variable, {{"index", sel.index}}, {}});
  }
}

void select_by_uuid(const GpuVisibility& visibility, const GpuSelector& sel, const VendorGpus& gpus,
                    GpuMatch& match) {
  const auto found = gpus_with_uuid_prefix(gpus, sel.id);
  if (found.size() == 1) {
    found[0]->share = 1.0;
    found[0]->matched_by = sel.id;
    return;
  }
  if (found.empty()) {
    const auto without_uuid = std::count_if(gpus.begin(), gpus.end(),
                                            [](const GpuOwnership* g) { return g->uuid.empty(); });
    match.warnings.push_back(Warning{"visibility-uuid-unmatched",
                                     visibility.variable,
                                     {{"gpus_without_uuid", static_cast<double>(without_uuid)}},
                                     {{"entry", sel.id}}});
    return;
  }
  match.warnings.push_back(Warning{"visibility-uuid-ambiguous",
                                   visibility.variable,
                                   {{"matches", static_cast<double>(found.size())}},
                                   {{"entry", sel.id}}});
}

// A MIG instance adds its size to its parent's share (`mig_share`), a model the report names.
void select_mig(const GpuSelector& sel, const AttributionInputs& inputs, const VendorGpus& gpus,
                std::map<GpuOwnership*, double>& mig_share, GpuMatch& match) {
  std::string parent = sel.parent;
  std::optional<double> fraction;
  for (const auto& slice : inputs.mig_slices) {
    if (!equal_ignoring_case(slice.mig_id, sel.id)) continue;
    if (!std::isfinite(slice.fraction) || slice.fraction <= 0.0 || slice.fraction > 1.0) {
      match.warnings.push_back(
          Warning{"mig-size-invalid", sel.id, {{"fraction", slice.fraction}}, {}});
      continue;
    }
    if (parent.empty()) parent = slice.parent_uuid;
    fraction = slice.fraction;
  }
  if (parent.empty()) {
    match.warnings.push_back(Warning{"mig-parent-unknown", sel.id, {}, {}});
    return;
  }
  const auto found = gpus_with_uuid_prefix(gpus, parent);
  if (found.size() != 1) {
    match.warnings.push_back(Warning{"mig-parent-not-measured", sel.id, {}, {{"parent", parent}}});
    return;
  }
  if (!fraction) {
    match.warnings.push_back(Warning{"mig-size-unknown", sel.id, {}, {{"parent", parent}}});
    return;
  }
  mig_share[found[0]] += *fraction;
  if (!found[0]->matched_by.empty()) found[0]->matched_by += ",";
  found[0]->matched_by += sel.id;
}

void apply_mig_shares(const std::map<GpuOwnership*, double>& mig_share, GpuMatch& match) {
  for (const auto& [gpu, share] : mig_share) {
    if (gpu->share >= 1.0 || share <= 0.0) continue;
    if (share > 1.0) {
      match.warnings.push_back(
          Warning{"mig-shares-over-whole", gpu->id, {{"share_pct", share * 100.0}}, {}});
    }
    gpu->share = std::min(1.0, share);
    gpu->modelled = true;
  }
}

const GpuVisibility* visibility_for(Vendor vendor, const AttributionInputs& inputs) {
  for (const auto& visibility : inputs.gpus) {
    if (visibility.vendor == vendor) return &visibility;
  }
  return nullptr;
}

// Each measured GPU, owned or not, by its vendor's visibility variable and its typed identity.
GpuMatch match_gpus(const std::vector<Row>& rows, const AttributionInputs& inputs) {
  GpuMatch match;
  for (const auto& row : rows) {
    if (row.domain != Domain::kGpu || row.source == nullptr) continue;
    const DeviceIdentity& identity = row.source->identity;
    GpuOwnership gpu{
        .id = row.id, .vendor = identity.vendor, .index = identity.index, .uuid = identity.uuid};
    if (const auto* visibility = visibility_for(identity.vendor, inputs); visibility == nullptr) {
      gpu.share = 1.0;
      gpu.matched_by =
          fmt::format("no visibility variable is read for {} GPUs", to_string(identity.vendor));
    } else if (visibility->all) {
      gpu.share = 1.0;
      gpu.matched_by = visibility->variable + " unset";
    }
    match.gpus.push_back(std::move(gpu));
  }
  std::map<GpuOwnership*, double> mig_share;
  for (const auto& visibility : inputs.gpus) {
    if (visibility.all) continue;
    VendorGpus gpus;
    for (auto& gpu : match.gpus) {
      if (gpu.vendor == visibility.vendor) gpus.push_back(&gpu);
    }
    for (const auto& sel : visibility.selected) {
      switch (sel.kind) {
        case GpuSelector::Kind::kIndex: select_by_index(visibility, sel, gpus, match); break;
        case GpuSelector::Kind::kUuid: select_by_uuid(visibility, sel, gpus, match); break;
        case GpuSelector::Kind::kMig: select_mig(sel, inputs, gpus, mig_share, match); break;
      }
    }
  }
  apply_mig_shares(mig_share, match);
  return match;
}

Result<void> check_cpu_inputs(const CgroupUsage& cpu) {
  if (!std::isfinite(cpu.job_cpu_s) || !std::isfinite(cpu.node_busy_cpu_s) || cpu.job_cpu_s < 0.0 ||
      cpu.node_busy_cpu_s < 0.0) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("impossible CPU times: job {} s, node {} s", cpu.job_cpu_s,
                                  cpu.node_busy_cpu_s));
  }
  if (cpu.online_cpus <= 0 || cpu.allocated_cpus <= 0) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("impossible CPU counts: {} allocated of {} online",
                                  cpu.allocated_cpus, cpu.online_cpus));
  }
  return {};
}

struct CpuShares {
  double cpu_time = 0.0;
  double core = 0.0;
  std::vector<Warning> warnings;
};

CpuShares cpu_shares(const CgroupUsage& cpu) {
  CpuShares shares;
  shares.core = static_cast<double>(cpu.allocated_cpus) / static_cast<double>(cpu.online_cpus);
  if (shares.core > 1.0) {
    shares.warnings.push_back(
        Warning{"cpus-over-online",
                "attribution",
                {{"allocated_cpus", cpu.allocated_cpus}, {"online_cpus", cpu.online_cpus}},
                {}});
    shares.core = 1.0;
  }
  if (cpu.node_busy_cpu_s > 0.0) {
    shares.cpu_time = cpu.job_cpu_s / cpu.node_busy_cpu_s;
    if (shares.cpu_time > 1.0) {
      shares.warnings.push_back(
          Warning{"cpu-time-over-node",
                  "attribution",
                  {{"job_cpu_s", cpu.job_cpu_s}, {"node_busy_cpu_s", cpu.node_busy_cpu_s}},
                  {}});
      shares.cpu_time = 1.0;
    }
  } else if (cpu.job_cpu_s > 0.0) {
    shares.warnings.push_back(
        Warning{"node-busy-time-missing", "attribution", {{"job_cpu_s", cpu.job_cpu_s}}, {}});
    shares.cpu_time = 1.0;
  } else {
    shares.warnings.push_back(Warning{"no-busy-cpu-time", "attribution", {}, {}});
    shares.cpu_time = shares.core;
  }
  return shares;
}

std::string shared_policy() {
  return "shared node: each GPU by ownership (CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES and "
         "HIP_VISIBLE_DEVICES, ZE_AFFINITY_MASK: by UUID or the vendor's index); CPU package and "
         "DRAM: dynamic energy by the job's share of the node's busy CPU "
         "time (cgroup v2 cpu.stat against /proc/stat) and idle energy by its share of the "
         "online CPUs (cpuset), or the whole energy by the CPU-time share where no idle "
         "baseline exists; rest of node (node meter minus measured parts) by the CPU share, "
         "as allocated overhead. Other jobs' energy and unallocated idle stay unattributed.";
}

std::string exclusive_policy() {
  return "exclusive node: everything measured on the node is the job's energy (Slurm's "
         "assumption, right only when no other job ran on the node).";
}

// How much of a row the job is charged, by which rule.
struct Split {
  double charged_j = 0.0;
  std::string rule;
  bool modelled = false;  // the split itself is a model (MIG slice size)
};

void clamp_to_component(const Row& row, double energy_j, Split& split,
                        std::vector<Warning>& warnings) {
  const double low = std::min(0.0, energy_j);
  const double high = std::max(0.0, energy_j);
  if (split.charged_j < low || split.charged_j > high) {
    warnings.push_back(Warning{
        "split-clamped", row.id, {{"charged_j", split.charged_j}, {"energy_j", energy_j}}, {}});
    split.charged_j = std::clamp(split.charged_j, low, high);
  }
}

// Why the job's CPUs are unknown, in the caller's words, when it gave them.
std::map<std::string, std::string> why_cpu_unknown(const AttributionInputs& inputs) {
  if (inputs.cpu_unavailable_reason.empty()) return {};
  return {{"reason", inputs.cpu_unavailable_reason}};
}

// The job's CPU shares where cgroup data exists; their warnings and the inputs go to `out`.
Result<std::optional<CpuShares>> job_cpu_shares(const AttributionInputs& inputs, Attribution& out) {
  if (!inputs.cpu) return std::optional<CpuShares>();
  if (auto ok = check_cpu_inputs(*inputs.cpu); !ok) return std::unexpected(ok.error());
  CpuShares cpu = cpu_shares(*inputs.cpu);
  out.shares.cpu = inputs.cpu;
  for (const auto& w : inputs.cpu->warnings) {
    out.warnings.push_back(text_warning("cgroup", inputs.cpu->cgroup_path, w));
  }
  for (const auto& w : cpu.warnings) out.warnings.push_back(w);
  return std::optional<CpuShares>(std::move(cpu));
}

// A sign that other jobs share the node: the job may use `used` of `of` online CPUs, or (with
// its vendor's visibility variable) of the measured GPUs.
struct SharingSign {
  std::string variable;  // empty: the CPUs
  std::int64_t used = 0;
  std::int64_t of = 0;
};

std::vector<SharingSign> sharing_signs(const AttributionInputs& inputs,
                                       const std::vector<GpuOwnership>& gpus) {
  std::vector<SharingSign> signs;
  if (inputs.cpu && inputs.cpu->allocated_cpus < inputs.cpu->online_cpus) {
    signs.push_back({"", inputs.cpu->allocated_cpus, inputs.cpu->online_cpus});
  }
  // Each variable is evidence only about its own vendor's GPUs.
  for (const auto& visibility : inputs.gpus) {
    if (visibility.all) continue;
    SharingSign sign{visibility.variable, 0, 0};
    for (const auto& gpu : gpus) {
      if (gpu.vendor != visibility.vendor) continue;
      ++sign.of;
      if (gpu.share >= 1.0) ++sign.used;
    }
    if (sign.used < sign.of) signs.push_back(std::move(sign));
  }
  return signs;
}

// The signs in words, for `mode_reason`.
std::string evidence_text(const std::vector<SharingSign>& signs) {
  std::string text;
  for (const auto& s : signs) {
    if (!text.empty()) text += " and ";
    text += s.variable.empty()
                ? fmt::format("the job may use {} of {} online CPUs", s.used, s.of)
                : fmt::format("{} gives it {} of {} measured GPUs", s.variable, s.used, s.of);
  }
  return text;
}

// The signs as figures: the CPUs', and each variable's, named in `gpu_variables` in order.
Warning exclusive_but_shared(const std::vector<SharingSign>& signs) {
  Warning w{"exclusive-but-shared", "attribution", {}, {}};
  std::string variables;
  for (const auto& s : signs) {
    const auto used = static_cast<double>(s.used);
    const auto of = static_cast<double>(s.of);
    if (s.variable.empty()) {
      w.figures.insert({{"cpus_allowed", used}, {"cpus_online", of}});
      continue;
    }
    w.figures.insert({{"gpus_owned:" + s.variable, used}, {"gpus_measured:" + s.variable, of}});
    variables += (variables.empty() ? "" : ",") + s.variable;
  }
  if (!variables.empty()) w.details["gpu_variables"] = variables;
  return w;
}

void choose_mode(const AttributionInputs& inputs, const std::vector<SharingSign>& signs,
                 Attribution& out) {
  switch (inputs.mode) {
    case AttributionMode::kExclusive:
      out.mode = AttributionMode::kExclusive;
      out.mode_reason = "requested";
      if (!signs.empty()) out.warnings.push_back(exclusive_but_shared(signs));
      break;
    case AttributionMode::kShared:
      out.mode = AttributionMode::kShared;
      out.mode_reason = "requested";
      break;
    case AttributionMode::kAuto:
      if (!signs.empty()) {
        out.mode = AttributionMode::kShared;
        out.mode_reason = "auto: " + evidence_text(signs);
      } else {
        out.mode = AttributionMode::kExclusive;
        out.mode_reason = inputs.cpu ? "auto: the job may use every online CPU and every "
                                       "measured GPU"
                                     : "auto: the job may use every measured GPU; its CPUs are "
                                       "unknown";
        if (!inputs.cpu) {
          out.warnings.push_back(
              Warning{"cpu-sharing-unknown", "attribution", {}, why_cpu_unknown(inputs)});
        }
      }
      break;
  }
}

// The shares the split uses, once the mode is chosen, and the policy in words.
void set_shares(const AttributionInputs& inputs, const std::optional<CpuShares>& cpu,
                std::vector<GpuOwnership> gpus, Attribution& out) {
  const bool exclusive = out.mode == AttributionMode::kExclusive;
  out.policy = exclusive ? exclusive_policy() : shared_policy();
  if (exclusive) {
    out.shares.cpu_time_share = 1.0;
    out.shares.core_share = 1.0;
    for (auto& gpu : gpus) {
      gpu.share = 1.0;
      gpu.modelled = false;
    }
  } else if (cpu) {
    out.shares.cpu_time_share = cpu->cpu_time;
    out.shares.core_share = cpu->core;
  } else {
    out.warnings.push_back(Warning{"cpu-time-unknown", "attribution", {}, why_cpu_unknown(inputs)});
  }
  out.shares.gpus = std::move(gpus);
}

const GpuOwnership* gpu_for(const Row& row, const std::vector<GpuOwnership>& gpus) {
  for (const auto& g : gpus) {
    if (g.id == row.id) return &g;
  }
  // GPU memory counted on its own follows its GPU: same vendor, same ordinal.
  for (const auto& g : gpus) {
    if (row.source != nullptr && g.vendor == row.source->identity.vendor &&
        g.index == row.source->identity.index) {
      return &g;
    }
  }
  return nullptr;
}

// What every row's split follows: the chosen mode and the shares.
struct SplitRules {
  const WindowResult& window;
  const std::optional<CpuShares>& cpu;  // empty when the job's CPU time is unknown
  const std::vector<GpuOwnership>& gpus;
  bool exclusive = false;
};

Split split_gpu_row(const Row& row, double energy_j, const std::vector<GpuOwnership>& gpus) {
  const GpuOwnership* gpu = gpu_for(row, gpus);
  const double share = gpu != nullptr ? gpu->share : 0.0;
  Split split{.charged_j = energy_j * share, .modelled = gpu != nullptr && gpu->modelled};
  if (split.modelled) {
    split.rule = fmt::format("MIG slices: {} of the parent GPU (model: slice size, not measured)",
                             percent(share));
  } else if (share >= 1.0) {
    split.rule = "owned GPU: 100 %";
  } else {
    split.rule = "GPU not owned (another job's or unallocated): 0 %";
  }
  return split;
}

Split split_cpu_row(const Row& row, double energy_j, const ComponentResult& c,
                    const CpuShares& cpu) {
  Split split;
  if (c.idle_power_w && c.idle.energy_j && c.dynamic.energy_j) {
    const double idle_j = *c.idle.energy_j;
    const double dynamic_j = *c.dynamic.energy_j;
    split.charged_j = dynamic_j * cpu.cpu_time + idle_j * cpu.core;
    split.rule = fmt::format("dynamic {:.3f} J x CPU-time share {} + idle {:.3f} J x CPU share {}",
                             dynamic_j, percent(cpu.cpu_time), idle_j, percent(cpu.core));
  } else {
    split.charged_j = energy_j * cpu.cpu_time;
    split.rule = fmt::format("total x CPU-time share {} (no idle baseline to split off)",
                             percent(cpu.cpu_time));
  }
  if (row.domain == Domain::kDram) split.rule += "; DRAM by CPU time is an approximation";
  return split;
}

Split split_row(const Row& row, double energy_j, const SplitRules& rules,
                std::vector<Warning>& warnings) {
  const ComponentResult* c = row.source;
  if (rules.exclusive) return Split{energy_j, "exclusive: 100 %"};
  if (is_gpu_side(row.domain)) return split_gpu_row(row, energy_j, rules.gpus);
  if (c != nullptr && c->measured.method == Method::kModel && rules.window.cpu_model &&
      is_cpu_side(row.domain)) {
    // The estimate was computed from the job's own CPU time: it is the job's already.
    return Split{energy_j, "estimate from the job's own CPU time: 100 %"};
  }
  if (!rules.cpu) return Split{0.0, "not attributed: the job's CPU time is unknown"};
  if (c != nullptr && is_cpu_side(row.domain)) return split_cpu_row(row, energy_j, *c, *rules.cpu);
  if (energy_j < 0.0) {
    warnings.push_back(Warning{"overhead-negative", row.id, {{"excess_j", -energy_j}}, {}});
    return Split{0.0, "measured parts exceed the node meter: no allocated overhead"};
  }
  const double share = rules.cpu->core;
  return Split{energy_j * share,
               c == nullptr
                   ? fmt::format("allocated overhead: total x CPU share {}", percent(share))
                   : fmt::format("whole-node part: total x CPU share {}", percent(share))};
}

ComponentAttribution attribute_row(const Row& row, const SplitRules& rules,
                                   std::vector<Warning>& warnings) {
  ComponentAttribution a;
  a.id = row.id;
  a.domain = row.domain;
  a.device = row.device;
  a.measured = row.measured;
  if (!row.measured.energy_j) {
    a.attributed = row.measured;
    a.unattributed = row.measured;
    a.rule = "not attributed: the component's energy is unknown";
    return a;
  }
  const double energy_j = *row.measured.energy_j;
  Split split = split_row(row, energy_j, rules, warnings);
  clamp_to_component(row, energy_j, split, warnings);
  a.rule = split.rule;
  a.modelled = split.modelled;
  a.share = energy_j != 0.0 ? split.charged_j / energy_j : 0.0;
  // The charged part is as uncertain as the whole, in proportion; a modelled split says so.
  a.attributed = scaled(row.measured, a.share, a.modelled, a.rule);
  a.attributed.energy_j = split.charged_j;
  a.unattributed = scaled(row.measured, 1.0 - a.share, a.modelled, "not charged to the job");
  a.unattributed.energy_j = energy_j - split.charged_j;
  return a;
}

void check_totals(const WindowResult& window, Attribution& out) {
  if (out.components.empty()) {
    out.warnings.push_back(Warning{"nothing-to-attribute", "attribution", {}, {}});
    return;
  }
  const auto& run_total = window.total.energy_j;
  const auto& measured = out.measured_total.energy_j;
  if (!run_total || !measured) return;
  const double tolerance = 1e-6 * std::max(1.0, std::fabs(*run_total));
  if (std::fabs(*measured - *run_total) > tolerance) {
    out.warnings.push_back(Warning{"attribution-total-mismatch",
                                   "attribution",
                                   {{"components_j", *measured}, {"total_j", *run_total}},
                                   {}});
  }
}

// The totals over the rows: what was measured, what the job is charged, and the rest, each
// with the rows' uncertainty budgets in proportion.
void add_totals(Attribution& out) {
  std::vector<Measurement> measured;
  std::vector<Measurement> attributed;
  std::vector<Measurement> unattributed;
  for (const auto& a : out.components) {
    measured.push_back(a.measured);
    attributed.push_back(a.attributed);
    unattributed.push_back(a.unattributed);
  }
  out.measured_total = sum_of(measured, "the attributed components added up");
  out.attributed_total = sum_of(attributed, "charged to the job");
  out.unattributed = sum_of(unattributed, "other jobs and unallocated idle");
}

}  // namespace

Result<Attribution> attribute_energy(const WindowResult& window, const AttributionInputs& inputs) {
  Attribution out;
  out.requested = inputs.mode;
  for (const auto& visibility : inputs.gpus) {
    out.warnings.insert(out.warnings.end(), visibility.warnings.begin(), visibility.warnings.end());
  }
  auto cpu = job_cpu_shares(inputs, out);
  if (!cpu) return std::unexpected(cpu.error());

  const std::vector<Row> rows = cover_rows(window, out.warnings);
  GpuMatch gpus = match_gpus(rows, inputs);
  for (auto& w : gpus.warnings) out.warnings.push_back(std::move(w));
  choose_mode(inputs, sharing_signs(inputs, gpus.gpus), out);
  set_shares(inputs, *cpu, std::move(gpus.gpus), out);

  const SplitRules rules{.window = window,
                         .cpu = *cpu,
                         .gpus = out.shares.gpus,
                         .exclusive = out.mode == AttributionMode::kExclusive};
  for (const auto& row : rows) out.components.push_back(attribute_row(row, rules, out.warnings));
  add_totals(out);
  check_totals(window, out);
  return out;
}

}  // namespace jt
