// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "sensors/sensor.hpp"

namespace jt {

// One fact about the node, or why it could not be read. Never a silent 0
// (docs/ARCHITECTURE.md §4.5).
template <typename T>
struct Fact {
  std::optional<T> value;
  std::string unknown_reason;  // set exactly when value is empty

  static Fact known(T v) { return Fact{std::move(v), {}}; }
  static Fact unknown(std::string why) { return Fact{std::nullopt, std::move(why)}; }
};

struct GpuInventory {
  int index = 0;
  std::string channel_id;               // "nvml/GPU-<uuid>"
  std::string uuid;                     // empty when the driver gave none
  std::string model;                    // as the driver names it, e.g. "NVIDIA H100 80GB HBM3"
  std::optional<double> power_limit_w;  // the enforced limit, when the driver reports one
  std::string provenance;
  // Where the driver's limit comes from ("ROCm SMI power cap"); not kept in node profiles. Last,
  // so that positional initialisers of the fields before it stay valid.
  std::string power_limit_source;
};

// A probed channel, as the profile remembers it: enough to notice that the node changed.
struct InventoryChannel {
  std::string id;
  Domain domain = Domain::kOther;
  std::string device;
  std::string provenance;
};

// What the node is made of (issue 4, part 2).
struct NodeInventory {
  Fact<std::string> hostname;
  Fact<std::string> cpu_model;
  Fact<int> sockets;
  Fact<int> cores;                   // physical cores, over all sockets
  Fact<int> threads;                 // online logical CPUs
  Fact<std::uint64_t> memory_bytes;  // MemTotal: what the kernel manages, a little under the DIMMs
  std::vector<GpuInventory> gpus;
  std::vector<InventoryChannel> node_meters;  // domain node or psu
  std::vector<InventoryChannel> channels;     // every probed channel
  std::vector<std::string> notes;             // oddities worth showing (mixed CPU models, ...)
};

// Reads the CPU and memory facts from context.proc_root and context.sysfs_root; GPUs and node
// meters come from the probed channels.
NodeInventory read_node_inventory(const ProbeContext& context,
                                  const std::vector<ChannelInfo>& channels);

// The "model name" lines of /proc/cpuinfo. Several distinct names (mixed sockets) are all kept.
Result<std::vector<std::string>> parse_cpu_models(std::string_view cpuinfo);
// MemTotal of /proc/meminfo, in bytes.
Result<std::uint64_t> parse_mem_total_bytes(std::string_view meminfo);

// Aggregate CPU time from the first line of /proc/stat, in USER_HZ ticks.
struct CpuTimes {
  std::uint64_t busy = 0;  // user + nice + system + irq + softirq + steal
  std::uint64_t idle = 0;  // idle + iowait
};
Result<CpuTimes> parse_cpu_times(std::string_view stat);
Result<CpuTimes> read_cpu_times(const std::filesystem::path& proc_root);
// Fraction of CPU time spent busy between two snapshots; nullopt when no time passed between
// them (a static fixture, or snapshots too close together to say).
std::optional<double> busy_fraction(const CpuTimes& before, const CpuTimes& after);

// The 1-minute load average of /proc/loadavg.
Result<double> parse_load_average(std::string_view loadavg);
Result<double> read_load_average(const std::filesystem::path& proc_root);

// The hostname: <proc_root>/sys/kernel/hostname, else gethostname().
Fact<std::string> read_hostname(const std::filesystem::path& proc_root);

}  // namespace jt
