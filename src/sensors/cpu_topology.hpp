#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"

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
// The kernel's rapl_defaults_spr_server: Sapphire Rapids-X and Emerald Rapids-X count PSys in
// whole joules (docs/backends/powercap.md).
bool has_joule_psys_unit(const CpuIdentity& id);

// Online CPUs with their topology, sorted by cpu number.
Result<std::vector<LogicalCpu>> read_cpu_topology(const std::filesystem::path& sysfs_root);

const char* to_string(CpuVendor vendor);

}  // namespace jt
