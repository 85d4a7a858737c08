// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "ledger/run_ledger.hpp"
#include "ledger/visible_devices.hpp"
#include "ledger/warning.hpp"
#include "sensors/cgroup_usage.hpp"

namespace jt {

// How a run on a node shared with other jobs is charged for the node's energy
// (docs/ATTRIBUTION.md, docs/ACCURACY.md A5).
enum class AttributionMode {
  kExclusive,  // the job owns the node: everything measured is its energy (Slurm's assumption)
  kShared,     // split by the stated policy
  kAuto,       // shared when the job holds fewer CPUs than are online or fewer GPUs than measured
};
const char* to_string(AttributionMode mode);
std::optional<AttributionMode> attribution_mode_from_string(std::string_view name);

// A MIG instance the job owns, with its size as a fraction of the parent GPU (compute slices
// of the instance / slices of the GPU). NVML reports no energy per instance
// (docs/backends/nvml.md F7): splitting the parent's energy by this fraction is a model, and the
// report says so.
struct MigSlice {
  std::string mig_id;       // as written in CUDA_VISIBLE_DEVICES
  std::string parent_uuid;  // "GPU-..."
  double fraction = 0.0;    // (0, 1]
};

struct AttributionInputs {
  AttributionMode mode = AttributionMode::kAuto;
  // One entry per vendor whose visibility variable was read (read_visible_devices); GPUs of a
  // vendor without one are all the job's.
  std::vector<GpuVisibility> gpus;
  std::vector<MigSlice> mig_slices;
  // The job's CPU time and CPUs against the node's (snapshots around the run); unset when the
  // cgroup could not be read, which leaves the CPU side unattributed on a shared node.
  std::optional<CgroupUsage> cpu;
  std::string cpu_unavailable_reason;  // why `cpu` is unset, for the report
};

// Whether the job owns a measured GPU.
struct GpuOwnership {
  std::string id;  // component id, "nvml/GPU-..."
  Vendor vendor = Vendor::kUnknown;
  int index = 0;       // the vendor's ordinal (NVML index)
  std::string uuid;    // empty when the backend gave none
  double share = 0.0;  // 1 owned, 0 not, a fraction for MIG slices
  bool modelled = false;
  std::string matched_by;  // the visibility entry that selected it
};

// The shares the split used. In exclusive mode both are 1; the measured inputs stay in `cpu`.
struct AttributionShares {
  std::optional<double> cpu_time_share;  // job CPU time / node busy CPU time, clamped to [0,1]
  std::optional<double> core_share;      // allocated CPUs / online CPUs, clamped to [0,1]
  std::optional<CgroupUsage> cpu;        // the measured inputs
  std::vector<GpuOwnership> gpus;
};

struct ComponentAttribution {
  std::string id;
  Domain domain = Domain::kOther;
  std::string device;
  Measurement measured;  // the component's energy (measured or estimated)
  Measurement
      attributed;  // charged to the job: the component's method, "model" for a modelled split
  Measurement unattributed;  // measured - attributed: other jobs, unallocated idle
  double share = 0.0;        // attributed / measured, 0 when the energy is 0
  std::string rule;          // the rule applied, with its numbers
  bool modelled = false;     // the split itself is a model, not a measurement (MIG)
};

struct Attribution {
  AttributionMode requested = AttributionMode::kAuto;
  AttributionMode mode = AttributionMode::kExclusive;  // exclusive or shared, never auto
  std::string mode_reason;
  std::string policy;  // the rules in words
  AttributionShares shares;
  std::vector<ComponentAttribution> components;  // a non-overlapping cover of the node
  Measurement measured_total;                    // the components' energies added up
  Measurement attributed_total;                  // charged to the job
  // measured - attributed: other jobs, unallocated idle. The two always add up to the total.
  Measurement unattributed;
  std::vector<Warning> warnings;
};

// Splits a run's measured energy between the job and the rest of the node by the policy of
// docs/ATTRIBUTION.md. Fails only on impossible inputs (negative or non-finite CPU times,
// no online CPU); disagreeing inputs are clamped and warned about.
Result<Attribution> attribute_energy(const WindowResult& window, const AttributionInputs& inputs);

}  // namespace jt
