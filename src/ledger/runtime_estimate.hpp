// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "ledger/measurement.hpp"
#include "ledger/warning.hpp"
#include "sensors/node_inventory.hpp"

namespace jt {

// One entry of the project's rated-power data file (data/tdp.json, docs/TDP.md).
struct RatedDevice {
  HardwareKind kind = HardwareKind::kCpu;
  std::string model;                 // canonical name, e.g. "Xeon Platinum 8380"
  std::vector<std::string> aliases;  // names drivers and /proc report, e.g. NVML names
  double rated_power_w = 0.0;
  std::string rating;  // what the number is: "TDP", "max board power", ...
  std::string source;  // URL of the vendor's specification
};

// The rated-power table with exact and normalised name matching. Never fuzzy: "A100" must not
// match "A100 80GB PCIe", whose rating differs.
class TdpTable {
 public:
  static Result<TdpTable> parse(std::string_view json_text, const std::string& origin);
  static Result<TdpTable> load(const std::filesystem::path& path);

  // Exact name or alias first, then normalised equality.
  const RatedDevice* find(HardwareKind kind, std::string_view name) const;
  const std::vector<RatedDevice>& devices() const { return devices_; }
  const std::string& origin() const { return origin_; }

 private:
  std::vector<RatedDevice> devices_;
  std::string origin_;
};

// Lower case; "(R)", "(TM)", vendor words, "CPU @ 2.30GHz", "64-Core Processor", "11th Gen"
// and punctuation dropped: "Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz" -> "xeon platinum 8380".
std::string normalise_model_name(std::string_view name);

// The rated-power file to use: `explicit_path` when given, else $JOULETRACE_TDP_FILE, else the
// installed <prefix>/share/jouletrace/tdp.json next to the running binary, else the source
// tree's data/tdp.json (a build that was not installed).
Result<std::filesystem::path> locate_tdp_file(const std::string& explicit_path);

// A device the job was given, for the runtime-based estimate.
struct AllocatedDevice {
  HardwareKind kind = HardwareKind::kCpu;
  std::string label;  // "CPU socket 0", "GPU 1 (GPU-...)"
  std::string model;  // as reported: cpuinfo model name, NVML name
  // The driver's enforced power limit, used for a GPU the data file does not know.
  std::optional<double> power_limit_w;
  std::string channel_id;  // a GPU: the channel that measures it, its identity in the run
  // Where power_limit_w comes from ("ROCm SMI power cap"); empty: NVML's enforced limit, the one
  // source before AMD and Intel GPUs were read.
  std::string power_limit_source;
};

// Every CPU socket and GPU of the node: the allocation of an exclusive job.
std::vector<AllocatedDevice> all_devices(const NodeInventory& inventory);

struct DeviceEstimate {
  AllocatedDevice device;
  std::optional<double> rated_power_w;  // empty: unknown, listed as such, never counted as 0
  std::string rated_from;          // "data file (<model>): <url>" or "NVML enforced power limit"
  std::string unknown_reason;      // set when rated_power_w is empty
  std::optional<double> energy_j;  // rated power x runtime x PUE; empty when unknown
};

// What the estimate is compared with.
struct MeasuredEnergy {
  Measurement energy;
  std::string label;  // what was measured: "node meter hwmon/...", "sum of components"
};

// The common approach (CodeCarbon, carbontracker, Green Algorithms; docs/TDP.md T1): rated power
// of the allocated devices x runtime x PUE, next to the measurement.
struct RuntimeEstimate {
  double runtime_s = 0.0;
  double pue = 1.0;
  std::string tdp_origin;  // the data file used
  std::vector<DeviceEstimate> devices;
  double estimate_j = 0.0;  // over the devices with a rated power
  bool complete = false;    // every device had a rated power
  std::optional<MeasuredEnergy> measured;
  // (estimate - measured) / measured; only when the estimate is complete and measured > 0.
  std::optional<double> relative_error;
  std::string relative_error_note;  // why there is none, or what it compares
  std::vector<Warning> warnings;    // invalid inputs: no estimate is made from them
};

RuntimeEstimate estimate_from_runtime(const std::vector<AllocatedDevice>& devices,
                                      const TdpTable* table, double runtime_s, double pue,
                                      const std::optional<MeasuredEnergy>& measured);

}  // namespace jt
