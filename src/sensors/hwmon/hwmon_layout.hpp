// SPDX-License-Identifier: BSD-3-Clause
#pragma once

// What hwmon devices contain, among themselves and of what earlier backends read
// (docs/backends/hwmon.md): NVIDIA Grace rails told apart by power1_oem_info, AMD APUs whose
// amdgpu power is the whole chip's, Intel xe cards around their GPU package.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sensors/sensor.hpp"

namespace jt {

// One rail of an NVIDIA Grace socket, named by an ACPI power meter's power1_oem_info.
struct GraceRail {
  Domain domain = Domain::kOther;  // kModule, kPsys (the socket), kCore (CPU), kUncore (SysIO)
  std::string slug;                // "module", "grace", "cpu", "sysio"
  int socket = 0;
};
std::optional<GraceRail> grace_rail(std::string_view oem_info);
std::string grace_rail_device(const GraceRail& rail);

// amdgpu on an APU, where the hwmon power is the whole chip's, CPU included.
bool is_amd_apu(const std::filesystem::path& device_dir);

// How a channel takes part in containment.
struct HwmonRole {
  enum class Kind { kPlain, kGraceRail, kApu, kCard, kCardPackage };
  Kind kind = Kind::kPlain;
  int device = 0;  // the hwmon device it belongs to: a card and its package pair up within one
};

// Fills `contains` of the containers hwmon found (roles[i] is channels[i]'s), with parts from
// hwmon and from the backends probed before it (context.earlier_channels). Returns what the
// probe report should say about assumptions made or containment it could not establish.
std::vector<std::string> link_hwmon_containers(std::vector<ChannelInfo>& channels,
                                               const std::vector<HwmonRole>& roles,
                                               const ProbeContext& context);

}  // namespace jt
