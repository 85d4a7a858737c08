// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "sensors/device_identity.hpp"

namespace jt {

enum class CpuVendor { kUnknown, kIntel, kAmd, kHygon };

// What the kernel says about the processors, read from <sysfs-root>/devices/system/cpu.
struct CpuIdentity {
  CpuVendor vendor = CpuVendor::kUnknown;
  int family = 0;
  int model = 0;
};

struct LogicalCpu {
  int cpu = 0;
  int package = 0;
  int die = 0;
  int core = 0;
};

// Parses /sys/devices/system/cpu/modalias ("cpu:type:x86,venVVVVfamFFFFmodMMMM:feature:...").
Result<CpuIdentity> read_cpu_identity(const std::filesystem::path& sysfs_root);
Result<CpuIdentity> parse_cpu_modalias(const std::string& modalias);
// The CPU socket a PCI device hangs off: its `numa_node`, then the package of that node's first
// CPU. nullopt when the kernel does not say (no NUMA, a CPU-less node, an unknown address).
std::optional<int> socket_of_pci_device(const std::filesystem::path& sysfs_root,
                                        const std::string& address);

// The kernel's rapl_defaults_spr_server: Sapphire Rapids-X and Emerald Rapids-X count PSys in
// whole joules (docs/backends/powercap.md).
bool has_joule_psys_unit(const CpuIdentity& id);

// Online CPUs with their topology, sorted by cpu number.
Result<std::vector<LogicalCpu>> read_cpu_topology(const std::filesystem::path& sysfs_root);

const char* to_string(CpuVendor vendor);
Vendor vendor_of(CpuVendor vendor);

}  // namespace jt
