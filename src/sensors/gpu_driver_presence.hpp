// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "sensors/sensor.hpp"

namespace jt {

// The hwmon names of the GPU drivers (docs/backends/amd.md, intel.md).
inline constexpr std::string_view kAmdGpuDriverNames[] = {"amdgpu"};
inline constexpr std::span<const std::string_view> kAmdGpuDrivers{kAmdGpuDriverNames};
inline constexpr std::string_view kIntelGpuDriverNames[] = {"xe", "i915"};
inline constexpr std::span<const std::string_view> kIntelGpuDrivers{kIntelGpuDriverNames};

// What a vendor library backend needs to decide whether to load its library at all.
struct VendorLibraryGate {
  std::string_view backend;                   // "rocm_smi"
  std::string_view library;                   // "ROCm SMI"
  std::string_view option;                    // "--rocm-smi-library"
  std::string_view configured;                // the option's value, empty when not given
  const char* environment_variable;           // "JOULETRACE_ROCM_SMI_LIBRARY"
  std::span<const std::string_view> drivers;  // hwmon names of the vendor's GPU drivers
};

// A vendor GPU library found only by its default name is loaded where one of its drivers has a
// device (an hwmon device of that name under SYSFS/class/hwmon), never elsewhere: a real ROCm SMI
// prints to the stderr of the program that loads it when no amdgpu device exists, and the
// library inside a training process loads nothing it does not need (docs/backends/amd.md,
// intel.md). A path named by option or environment is always loaded. nullopt: go on and load;
// else the absent report to give.
std::optional<ProbeReport> skip_vendor_library(const ProbeContext& context,
                                               const VendorLibraryGate& gate);

}  // namespace jt
