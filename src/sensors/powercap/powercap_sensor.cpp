// SPDX-License-Identifier: BSD-3-Clause
// Linux powercap RAPL zones (docs/backends/powercap.md F1-F10):
// <sysfs-root>/class/powercap/intel-rapl:N[:M].
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/sysfs_file.hpp"
#include "sensors/backends.hpp"
#include "sensors/cpu_topology.hpp"
#include "sensors/sysfs_sensor.hpp"

namespace jt {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kBackend = "powercap";
// intel-rapl-tpmi is what some kernels name the TPMI control type; the MMIO one repeats a
// package that intel-rapl already has (docs/backends/powercap.md F2), so it is never read.
constexpr std::string_view kControlTypes[] = {"intel-rapl", "intel-rapl-tpmi"};
constexpr std::string_view kDuplicateControlType = "intel-rapl-mmio";

constexpr std::string_view kPermissionHint =
    "energy_uj is readable by root only since Linux 5.10 (CVE-2020-8694, PLATYPUS): run "
    "jouletrace as root, or have the node agent run (`jouletrace agent`, docs/AGENT.md): "
    "jouletrace then asks it without being told. Making the file world-readable re-opens that "
    "side channel.";

struct Zone {
  std::string dir;             // "intel-rapl:0:1"
  std::string parent_dir;      // "intel-rapl:0", empty for a top-level zone
  std::vector<unsigned> path;  // hexadecimal suffixes, {0, 1}
  std::string name;            // content of the name file
  Domain domain = Domain::kOther;
  int index = 0;
};

// "intel-rapl:0:1a" -> {"intel-rapl", {0, 0x1a}}; nullopt when the name is not a zone.
std::optional<std::pair<std::string, std::vector<unsigned>>> parse_zone_dir(
    const std::string& dir) {
  const auto colon = dir.find(':');
  if (colon == std::string::npos) return std::nullopt;
  std::pair<std::string, std::vector<unsigned>> out{dir.substr(0, colon), {}};
  std::size_t pos = colon + 1;
  while (pos <= dir.size()) {
    const auto next = std::min(dir.find(':', pos), dir.size());
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(dir.data() + pos, dir.data() + next, value, 16);
    if (ec != std::errc() || ptr != dir.data() + next || next == pos) return std::nullopt;
    out.second.push_back(value);
    pos = next + 1;
  }
  return out;
}

int trailing_number(std::string_view text, std::string_view prefix, int fallback) {
  if (text.substr(0, prefix.size()) != prefix) return fallback;
  int value = fallback;
  const std::string_view rest = text.substr(prefix.size());
  std::from_chars(rest.data(), rest.data() + rest.size(), value);
  return value;
}

Domain domain_from_zone_name(std::string_view name) {
  if (name.rfind("package", 0) == 0) return Domain::kPackage;
  if (name == "core") return Domain::kCore;
  if (name == "uncore") return Domain::kUncore;
  if (name == "dram") return Domain::kDram;
  if (name.rfind("psys", 0) == 0) return Domain::kPsys;
  return Domain::kOther;
}

double default_max_power_w(Domain domain) {
  switch (domain) {
    case Domain::kDram: return 200.0;
    case Domain::kPsys: return 1000.0;
    case Domain::kUncore: return 200.0;
    default: return 500.0;
  }
}

// Worst-case power from the zone's power-limit constraints; used to bound the poll interval.
double zone_max_power_w(const fs::path& zone, Domain domain) {
  double max_uw = 0.0;
  double limit_uw = 0.0;
  for (int c = 0; c < 8; ++c) {
    const auto prefix = zone / fmt::format("constraint_{}_", c);
    if (auto v = read_text_file(prefix.string() + "max_power_uw")) {
      max_uw = std::max(max_uw, static_cast<double>(parse_u64(*v).value_or(0)));
    }
    if (auto v = read_text_file(prefix.string() + "power_limit_uw")) {
      limit_uw = std::max(limit_uw, static_cast<double>(parse_u64(*v).value_or(0)));
    }
  }
  if (max_uw > 0.0) return max_uw * 1e-6;
  if (limit_uw > 0.0) return 2.0 * limit_uw * 1e-6;
  return default_max_power_w(domain);
}

ProbeReport report(ProbeReport::Status status, std::string detail, std::string hint = {}) {
  return ProbeReport{std::string(kBackend), status, std::move(detail), std::move(hint)};
}

std::string comma_list(const std::vector<std::string>& items) {
  std::string list;
  for (const auto& item : items) list += (list.empty() ? "" : ", ") + item;
  return list;
}

struct FoundZones {
  std::map<std::string, Zone> zones;  // ordered by directory name for stable output
  std::vector<std::string> duplicates;
};

FoundZones find_zones(const fs::path& class_dir, std::vector<ProbeReport>& reports) {
  FoundZones found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(class_dir, ec)) {
    const std::string dir = entry.path().filename().string();
    auto parsed = parse_zone_dir(dir);
    if (!parsed) continue;
    if (parsed->first == kDuplicateControlType) {
      found.duplicates.push_back(dir);
      continue;
    }
    if (std::find(std::begin(kControlTypes), std::end(kControlTypes), parsed->first) ==
        std::end(kControlTypes)) {
      continue;
    }
    Zone zone;
    zone.dir = dir;
    zone.path = parsed->second;
    if (zone.path.size() > 1) zone.parent_dir = dir.substr(0, dir.rfind(':'));
    auto name = read_text_file(entry.path() / "name");
    if (!name) {
      reports.push_back(report(
          ProbeReport::Status::kError,
          fmt::format("zone {} has no readable name ({}); skipped", dir, name.error().message)));
      continue;
    }
    zone.name = *name;
    zone.domain = domain_from_zone_name(zone.name);
    found.zones.emplace(dir, std::move(zone));
  }
  return found;
}

// Socket index and a readable device label come from the package zone above a subzone.
void number_zones(std::map<std::string, Zone>& zones) {
  for (auto& [dir, zone] : zones) {
    if (zone.domain == Domain::kPackage) zone.index = trailing_number(zone.name, "package-", 0);
    if (zone.domain == Domain::kPsys) zone.index = trailing_number(zone.name, "psys-", 0);
  }
  for (auto& [dir, zone] : zones) {
    if (zone.parent_dir.empty()) continue;
    if (auto parent = zones.find(zone.parent_dir); parent != zones.end()) {
      zone.index = parent->second.index;
    }
  }
}

// What the CPU's identity changes in the channels; all false or unknown when it is unreadable.
struct CpuTraits {
  bool amd = false;
  Vendor vendor = Vendor::kUnknown;
  bool joule_psys_unit = false;
};

CpuTraits cpu_traits(const ProbeContext& context) {
  const auto cpu = read_cpu_identity(context.sysfs_root);
  CpuTraits traits;
  if (!cpu) return traits;
  traits.amd = cpu->vendor == CpuVendor::kAmd || cpu->vendor == CpuVendor::kHygon;
  traits.vendor = vendor_of(cpu->vendor);
  traits.joule_psys_unit = has_joule_psys_unit(*cpu);
  return traits;
}

ChannelInfo zone_channel(const fs::path& class_dir, const Zone& zone,
                         const std::map<std::string, Zone>& zones, const CpuTraits& cpu) {
  const fs::path zone_path = class_dir / zone.dir;
  const auto range = read_text_file(zone_path / "max_energy_range_uj");
  // 0 stands for unknown: a zero range is no range either.
  const std::uint64_t range_uj = range ? parse_u64(*range).value_or(0) : 0;

  ChannelInfo info;
  info.id = fmt::format("{}/{}", kBackend, zone.dir);
  info.domain = zone.domain;
  info.identity = identity_of(zone.domain, zone.index, cpu.vendor);
  info.device = zone.name;
  if (!zone.parent_dir.empty()) {
    if (auto parent = zones.find(zone.parent_dir); parent != zones.end()) {
      info.device = parent->second.name + " " + zone.name;
    }
  }
  info.quantity = Quantity::kEnergyCounter;
  info.scale = 1e-6;
  info.raw_unit = "uJ";
  // energy_uj runs from 0 to max_energy_range_uj inclusive, then starts again at 0.
  info.wrap_modulus = range_uj > 0 ? range_uj + 1 : 0;
  info.update_period_s = 0.001;  // docs/backends/powercap.md F9: about 1 ms
  info.max_power_w = zone_max_power_w(zone_path, zone.domain);
  info.provenance = (zone_path / "energy_uj").string();
  if (cpu.amd && zone.domain == Domain::kCore) {
    info.note =
        "AMD: the powercap core zone reads the lead core only (docs/backends/powercap.md F7)";
  }
  if (zone.domain == Domain::kPsys && cpu.joule_psys_unit) {
    info.resolution = 1.0;
    info.note = "psys counts whole joules on Sapphire/Emerald Rapids (docs/backends/powercap.md)";
  }
  if (range_uj == 0) {
    info.note += std::string(info.note.empty() ? "" : "; ") +
                 "max_energy_range_uj unreadable: wraps cannot be corrected";
  }
  return info;
}

struct OpenedZones {
  std::vector<ChannelInfo> channels;
  std::vector<OpenAttribute> attributes;  // parallel to channels
  std::vector<std::string> denied;
};

OpenedZones open_zones(const fs::path& class_dir, const std::map<std::string, Zone>& zones,
                       const CpuTraits& cpu, std::vector<ProbeReport>& reports) {
  OpenedZones opened;
  for (const auto& [dir, zone] : zones) {
    auto attr = OpenAttribute::open_kept(class_dir / dir / "energy_uj");
    if (!attr) {
      if (attr.error().kind == ErrorKind::kPermissionDenied) {
        opened.denied.push_back(dir);
      } else {
        reports.push_back(
            report(ProbeReport::Status::kError,
                   fmt::format("zone {} ({}): {}", dir, zone.name, attr.error().message)));
      }
      continue;
    }
    // Kept though unreadable now: dropping it would count a package's core subzone in its place
    // for the whole run.
    if (!attr->readable_now()) {
      reports.push_back(report(
          ProbeReport::Status::kError,
          fmt::format("zone {} ({}): {} when the zones were found; kept and read again every "
                      "round",
                      dir, zone.name,
                      attr->not_a_number ? "energy_uj is not a number" : attr->open_error)));
    }
    opened.channels.push_back(zone_channel(class_dir, zone, zones, cpu));
    opened.attributes.push_back(std::move(attr->attribute));
  }
  return opened;
}

// Containment (docs/backends/powercap.md F7): core and uncore are inside their package; dram
// is a separate rail even though it sits below the package in sysfs; psys contains the
// packages and their DRAM.
void link_containers(std::vector<ChannelInfo>& channels, const std::map<std::string, Zone>& zones) {
  for (auto& info : channels) {
    const std::string dir = info.id.substr(kBackend.size() + 1);
    const Zone& zone = zones.at(dir);
    if (zone.domain == Domain::kPackage) {
      for (const auto& other : channels) {
        const std::string other_dir = other.id.substr(kBackend.size() + 1);
        const Zone& child = zones.at(other_dir);
        if (child.parent_dir == dir &&
            (child.domain == Domain::kCore || child.domain == Domain::kUncore)) {
          info.contains.push_back(other.id);
        }
      }
    }
    if (zone.domain == Domain::kPsys) {
      for (const auto& other : channels) {
        if (other.domain == Domain::kPackage || other.domain == Domain::kDram) {
          info.contains.push_back(other.id);
        }
      }
    }
  }
}

void report_skipped_zones(const std::vector<std::string>& denied,
                          const std::vector<std::string>& duplicates,
                          std::vector<ProbeReport>& reports) {
  if (!denied.empty()) {
    reports.push_back(report(ProbeReport::Status::kPermissionDenied,
                             fmt::format("cannot read energy_uj of {}", comma_list(denied)),
                             std::string(kPermissionHint)));
  }
  if (!duplicates.empty()) {
    reports.push_back(
        report(ProbeReport::Status::kNotUsed,
               fmt::format("{} skipped: the MMIO interface repeats a package already read through "
                           "intel-rapl",
                           comma_list(duplicates))));
  }
}

}  // namespace

ProbeOutcome probe_powercap(const ProbeContext& context) {
  ProbeOutcome outcome;
  const fs::path class_dir = context.sysfs_root / "class/powercap";
  std::error_code ec;
  if (!fs::is_directory(class_dir, ec)) {
    outcome.reports.push_back(report(ProbeReport::Status::kAbsent,
                                     fmt::format("{} does not exist (no RAPL driver, or a virtual "
                                                 "machine without RAPL)",
                                                 class_dir.string())));
    return outcome;
  }

  FoundZones found = find_zones(class_dir, outcome.reports);
  const CpuTraits cpu = cpu_traits(context);
  number_zones(found.zones);
  OpenedZones opened = open_zones(class_dir, found.zones, cpu, outcome.reports);
  link_containers(opened.channels, found.zones);
  report_skipped_zones(opened.denied, found.duplicates, outcome.reports);

  if (opened.channels.empty()) {
    if (opened.denied.empty() && found.zones.empty()) {
      outcome.reports.push_back(report(ProbeReport::Status::kAbsent,
                                       fmt::format("no RAPL zones under {}", class_dir.string())));
    }
    return outcome;
  }
  std::string summary;
  for (const auto& info : opened.channels) {
    summary += (summary.empty() ? "" : ", ") + info.device;
  }
  outcome.reports.push_back(report(ProbeReport::Status::kPresent,
                                   fmt::format("{} zone(s): {}", opened.channels.size(), summary)));
  outcome.sensors.push_back(std::make_unique<SysfsSensor>(kBackend, std::move(opened.channels),
                                                          std::move(opened.attributes)));
  return outcome;
}

}  // namespace jt
