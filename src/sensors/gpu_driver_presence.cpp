// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/gpu_driver_presence.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "core/sysfs_file.hpp"

namespace jt {

namespace {

bool configured(const VendorLibraryGate& gate) {
  if (!gate.configured.empty()) return true;
  const char* value = std::getenv(gate.environment_variable);
  return value != nullptr && *value != '\0';
}

bool driver_has_device(const std::filesystem::path& sysfs_root,
                       std::span<const std::string_view> drivers) {
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(sysfs_root / "class" / "hwmon", ec)) {
    const auto name = read_text_file(entry.path() / "name");
    if (name && std::ranges::find(drivers, std::string_view(*name)) != drivers.end()) return true;
  }
  return false;
}

}  // namespace

std::optional<ProbeReport> skip_vendor_library(const ProbeContext& context,
                                               const VendorLibraryGate& gate) {
  if (configured(gate) || driver_has_device(context.sysfs_root, gate.drivers)) return std::nullopt;
  ProbeReport report;
  report.backend = std::string(gate.backend);
  report.status = ProbeReport::Status::kAbsent;
  std::string drivers;
  for (const auto driver : gate.drivers)
    drivers += (drivers.empty() ? "" : " or ") + std::string(driver);
  report.detail = fmt::format("no {} device in {}: {} is not loaded", drivers,
                              (context.sysfs_root / "class" / "hwmon").string(), gate.library);
  report.hint =
      fmt::format("pass {} (or set {}) to load it anyway", gate.option, gate.environment_variable);
  return report;
}

}  // namespace jt
