// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/cpu_topology.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "core/sysfs_file.hpp"

namespace jt {

namespace fs = std::filesystem;

const char* to_string(CpuVendor vendor) {
  switch (vendor) {
    case CpuVendor::kIntel: return "Intel";
    case CpuVendor::kAmd: return "AMD";
    case CpuVendor::kHygon: return "Hygon";
    case CpuVendor::kUnknown: break;
  }
  return "unknown";
}

Vendor vendor_of(CpuVendor vendor) {
  switch (vendor) {
    case CpuVendor::kIntel: return Vendor::kIntel;
    case CpuVendor::kAmd: return Vendor::kAmd;
    case CpuVendor::kHygon: return Vendor::kHygon;
    case CpuVendor::kUnknown: break;
  }
  return Vendor::kUnknown;
}

namespace {

bool parse_hex_field(std::string_view text, std::string_view key, int& out) {
  const auto pos = text.find(key);
  if (pos == std::string_view::npos) return false;
  const std::string_view digits = text.substr(pos + key.size(), 4);
  // from_chars takes a minus sign for a signed type; the kernel writes hex digits only.
  if (digits.empty() || digits.front() == '-') return false;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out, 16);
  return ec == std::errc() && ptr == digits.data() + digits.size();
}

}  // namespace

Result<CpuIdentity> parse_cpu_modalias(const std::string& modalias) {
  // Vendor numbers are the kernel's X86_VENDOR_* constants.
  int vendor = -1;
  CpuIdentity id;
  if (!parse_hex_field(modalias, "ven", vendor) || !parse_hex_field(modalias, "fam", id.family) ||
      !parse_hex_field(modalias, "mod", id.model)) {
    return make_error(ErrorKind::kInvalidData, "unrecognised cpu modalias: '" + modalias + "'");
  }
  switch (vendor) {
    case 0: id.vendor = CpuVendor::kIntel; break;
    case 2: id.vendor = CpuVendor::kAmd; break;
    case 9: id.vendor = CpuVendor::kHygon; break;
    default: id.vendor = CpuVendor::kUnknown; break;
  }
  return id;
}

std::optional<int> socket_of_pci_device(const fs::path& sysfs_root, const std::string& address) {
  // An address comes from a driver; it must not climb out of the PCI device directory.
  if (address.empty() || address.find('/') != std::string::npos || address.front() == '.') {
    return std::nullopt;
  }
  const auto node_text = read_text_file(sysfs_root / "bus/pci/devices" / address / "numa_node");
  if (!node_text) return std::nullopt;
  const auto node = parse_u64(*node_text);  // -1 (no NUMA information) does not parse
  if (!node) return std::nullopt;
  const auto cpus = read_text_file(sysfs_root / "devices/system/node" /
                                   ("node" + std::to_string(*node)) / "cpulist");
  if (!cpus || cpus->empty()) return std::nullopt;
  const std::string_view list = *cpus;
  int first = -1;
  const auto [ptr, ec] = std::from_chars(list.data(), list.data() + list.size(), first);
  if (ec != std::errc() || first < 0) return std::nullopt;
  const auto package =
      read_text_file(sysfs_root / "devices/system/cpu" / ("cpu" + std::to_string(first)) /
                     "topology/physical_package_id");
  if (!package) return std::nullopt;
  const auto socket = parse_u64(*package);
  if (!socket || *socket > 4096) return std::nullopt;
  return static_cast<int>(*socket);
}

bool has_joule_psys_unit(const CpuIdentity& id) {
  return id.vendor == CpuVendor::kIntel && id.family == 6 && (id.model == 0x8F || id.model == 0xCF);
}

Result<CpuIdentity> read_cpu_identity(const fs::path& sysfs_root) {
  auto text = read_text_file(sysfs_root / "devices/system/cpu/modalias");
  if (!text) return std::unexpected(text.error());
  return parse_cpu_modalias(*text);
}

Result<std::vector<LogicalCpu>> read_cpu_topology(const fs::path& sysfs_root) {
  const fs::path cpu_dir = sysfs_root / "devices/system/cpu";
  std::error_code ec;
  fs::directory_iterator it(cpu_dir, ec);
  if (ec) return std::unexpected(error_from_errno(ec.value(), cpu_dir));
  std::vector<LogicalCpu> cpus;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 4 || name.rfind("cpu", 0) != 0) continue;
    const auto number = parse_u64(std::string_view(name).substr(3));
    if (!number) continue;
    // cpu0 often has no "online" file; a CPU without topology is offline.
    if (auto online = read_text_file(entry.path() / "online"); online && *online == "0") continue;
    auto package = read_text_file(entry.path() / "topology/physical_package_id");
    if (!package) continue;
    LogicalCpu cpu;
    cpu.cpu = static_cast<int>(*number);
    cpu.package = static_cast<int>(parse_u64(*package).value_or(0));
    if (auto die = read_text_file(entry.path() / "topology/die_id")) {
      cpu.die = static_cast<int>(parse_u64(*die).value_or(0));
    }
    if (auto core = read_text_file(entry.path() / "topology/core_id")) {
      cpu.core = static_cast<int>(parse_u64(*core).value_or(0));
    }
    cpus.push_back(cpu);
  }
  std::sort(cpus.begin(), cpus.end(),
            [](const LogicalCpu& a, const LogicalCpu& b) { return a.cpu < b.cpu; });
  if (cpus.empty()) {
    return make_error(ErrorKind::kNotFound, "no CPU topology under " + cpu_dir.string());
  }
  return cpus;
}

}  // namespace jt
