// SPDX-License-Identifier: BSD-3-Clause
// hwmon energy and power attributes (docs/backends/hwmon.md F1): <sysfs-root>/class/hwmon/hwmonN.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "core/sysfs_file.hpp"
#include "sensors/backends.hpp"
#include "sensors/hwmon/hwmon_layout.hpp"
#include "sensors/sysfs_sensor.hpp"

namespace jt {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kBackend = "hwmon";

// What a hwmon device is, from its driver's name and, where the name is not enough, its own
// attributes (docs/backends/hwmon.md).
struct HardwareKind {
  Domain domain = Domain::kOther;
  HwmonRole::Kind role = HwmonRole::Kind::kPlain;
  std::optional<GraceRail> rail;
  bool skip = false;
  std::string why_skipped;
  bool first_power_only = false;     // amdgpu: power2 (fastPPT) is power1 averaged faster
  Vendor vendor = Vendor::kUnknown;  // known from the driver; an ACPI meter's maker is not
};

// amd_energy and its maintained fork zenergy read the RAPL MSRs through hwmon, labelling their
// channels Ecore<NNN> and Esocket<N> (docs/backends/hwmon.md).
bool is_amd_energy(const std::string& name) { return name == "amd_energy" || name == "zenergy"; }

HardwareKind classify(const std::string& name, const fs::path& device_dir, bool rapl_found) {
  HardwareKind kind;
  if (name == "power_meter") {  // ACPI power meter: the node, or one rail of a Grace socket
    kind.domain = Domain::kNode;
    if (auto oem = read_text_file(device_dir / "power1_oem_info")) kind.rail = grace_rail(*oem);
    if (kind.rail) {
      kind.domain = kind.rail->domain;
      kind.role = HwmonRole::Kind::kGraceRail;
      kind.vendor = Vendor::kNvidia;
    }
  } else if (is_amd_energy(name)) {
    kind.domain = Domain::kPackage;
    kind.vendor = Vendor::kAmd;
    kind.skip = rapl_found;
    kind.why_skipped = "repeats the RAPL counters already read";
  } else if (name == "amdgpu") {
    kind.first_power_only = true;
    kind.vendor = Vendor::kAmd;
    const bool apu = is_amd_apu(device_dir);
    kind.domain = apu ? Domain::kModule : Domain::kGpu;
    kind.role = apu ? HwmonRole::Kind::kApu : HwmonRole::Kind::kPlain;
  } else if (name == "i915" || name == "xe") {
    kind.domain = Domain::kGpu;
    kind.vendor = Vendor::kIntel;
  } else if (name.rfind("i915_", 0) == 0 || name.rfind("xe_", 0) == 0) {
    kind.domain = Domain::kGpu;
    kind.skip = true;
    kind.why_skipped = "part of the device-level GPU channel";
  }
  return kind;
}

struct Attribute {
  std::string prefix;  // "energy1", "power2"
  std::string file;    // "energy1_input", "power2_average"
  Quantity quantity = Quantity::kEnergyCounter;
  int number = 0;
};

int hwmon_number(const std::string& dir) {
  return static_cast<int>(parse_u64(std::string_view(dir).substr(5)).value_or(0));
}

// Where a hwmon device keeps `name` and its attributes: its class directory, or, for drivers
// written before the hwmon class carried them (the ACPI power meter until its conversion), the
// "physical" device directory `device` links to; lm-sensors looks in both
// (docs/backends/hwmon.md).
fs::path attribute_dir(const fs::path& hwmon_dir) {
  std::error_code ec;
  if (!fs::exists(hwmon_dir / "name", ec) && fs::exists(hwmon_dir / "device" / "name", ec)) {
    return hwmon_dir / "device";
  }
  return hwmon_dir;
}

// The socket of an amd_energy / zenergy "Esocket<N>" channel.
int socket_index(std::string_view label) {
  if (!label.starts_with("Esocket")) return 0;
  return static_cast<int>(parse_u64(label.substr(7)).value_or(0));
}

std::vector<std::string> hwmon_dirs(const fs::path& class_dir) {
  std::vector<std::string> dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(class_dir, ec)) {
    const std::string dir = entry.path().filename().string();
    if (dir.rfind("hwmon", 0) == 0 && dir.size() > 5) dirs.push_back(dir);
  }
  std::sort(dirs.begin(), dirs.end(), [](const std::string& a, const std::string& b) {
    return hwmon_number(a) < hwmon_number(b);
  });
  return dirs;
}

// The energy and power attributes of a device, counters first (docs/ARCHITECTURE.md §4.1): a
// device with an energy counter is not also integrated from its power readings; an averaged
// power beats an instantaneous one of the same number.
std::vector<Attribute> measuring_attributes(const fs::path& device_dir) {
  static const std::regex kAttributePattern(R"(^(energy|power)(\d+)_(input|average)$)");
  std::vector<Attribute> found;
  std::error_code ec;
  for (const auto& file : fs::directory_iterator(device_dir, ec)) {
    const std::string fname = file.path().filename().string();
    std::smatch m;
    if (!std::regex_match(fname, m, kAttributePattern)) continue;
    // No driver numbers attributes past int; std::stoi would throw on such a name.
    const auto number = parse_u64(m[2].str());
    if (!number || *number > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
      continue;
    }
    Attribute attr;
    attr.prefix = m[1].str() + m[2].str();
    attr.file = fname;
    attr.number = static_cast<int>(*number);
    attr.quantity = m[1] == "energy"
                        ? Quantity::kEnergyCounter
                        : (m[3] == "average" ? Quantity::kAveragePower : Quantity::kInstantPower);
    found.push_back(attr);
  }
  const bool has_energy = std::any_of(found.begin(), found.end(), [](const Attribute& a) {
    return a.quantity == Quantity::kEnergyCounter;
  });
  std::erase_if(found, [&](const Attribute& a) {
    return has_energy && a.quantity != Quantity::kEnergyCounter;
  });
  std::sort(found.begin(), found.end(), [](const Attribute& a, const Attribute& b) {
    if (a.number != b.number) return a.number < b.number;
    return static_cast<int>(a.quantity) > static_cast<int>(b.quantity);
  });
  std::vector<int> power_numbers;
  std::erase_if(found, [&](const Attribute& a) {
    if (a.quantity == Quantity::kEnergyCounter) return false;
    // power<N>_input next to power<N>_average: the average was taken
    if (std::find(power_numbers.begin(), power_numbers.end(), a.number) != power_numbers.end()) {
      return true;
    }
    power_numbers.push_back(a.number);
    return false;
  });
  return found;
}

// Opens an attribute; one that exists but cannot be read now (a GPU waking up, a meter answering
// late) is kept and read again every round, like a powercap zone. nullopt: it cannot be read.
std::optional<OpenAttribute> open_attribute(const fs::path& path, const std::string& where,
                                            ProbeOutcome& outcome) {
  auto kept = OpenAttribute::open_kept(path);
  if (!kept) {
    const bool denied = kept.error().kind == ErrorKind::kPermissionDenied;
    outcome.reports.push_back(
        {std::string(kBackend),
         denied ? ProbeReport::Status::kPermissionDenied : ProbeReport::Status::kError,
         kept.error().message,
         denied ? "the hwmon ABI expects world-readable attributes; check the driver or udev rules"
                : ""});
    return std::nullopt;
  }
  if (!kept->readable_now()) {
    outcome.reports.push_back(
        {std::string(kBackend),
         ProbeReport::Status::kError,
         fmt::format("{}: {} when the devices were found; kept and read again every round", where,
                     kept->not_a_number ? "not a number" : kept->open_error),
         {}});
  }
  return std::move(kept->attribute);
}

// Everything one device contributes.
struct DeviceScan {
  std::vector<ChannelInfo> channels;
  std::vector<OpenAttribute> attributes;
  std::vector<HwmonRole> roles;
};

struct DeviceContext {
  std::string dir;      // "hwmon3"
  std::string name;     // the driver's name
  std::string id_base;  // "hwmon/power_meter.1", "hwmon/grace0/cpu"
  fs::path device_dir;  // where its attributes are
  HardwareKind kind;
  int gpu_index = 0;
  int ordinal = 0;  // which device of the scan
};

HwmonRole::Kind role_of(const DeviceContext& device, const std::optional<std::string>& label) {
  if (device.name == "xe" && label) {  // xe_hwmon.c labels its channels "card" and "pkg"
    if (*label == "card") return HwmonRole::Kind::kCard;
    if (*label == "pkg") return HwmonRole::Kind::kCardPackage;
  }
  return device.kind.role;
}

ChannelInfo channel_of(const DeviceContext& device, const Attribute& attr,
                       const std::optional<std::string>& label) {
  const HardwareKind& kind = device.kind;
  ChannelInfo info;
  // A Grace rail has one attribute, power1; its id names the rail instead.
  info.id = kind.rail ? device.id_base : fmt::format("{}/{}", device.id_base, attr.prefix);
  info.domain = kind.domain;
  const int index = kind.rail                             ? kind.rail->socket
                    : kind.domain == Domain::kGpu         ? device.gpu_index
                    : is_amd_energy(device.name) && label ? socket_index(*label)
                                                          : 0;
  info.identity = identity_of(kind.domain, index, kind.vendor);
  info.device = kind.rail ? grace_rail_device(*kind.rail)
                : label   ? fmt::format("{} {}", device.name, *label)
                          : device.name;
  if (kind.role == HwmonRole::Kind::kApu) info.device += " (APU: CPU and GPU)";
  info.quantity = attr.quantity;
  info.scale = 1e-6;
  info.raw_unit = attr.quantity == Quantity::kEnergyCounter ? "uJ" : "uW";
  if (attr.quantity == Quantity::kAveragePower) {
    if (auto interval = read_text_file(device.device_dir / (attr.prefix + "_average_interval"))) {
      info.update_period_s = static_cast<double>(parse_u64(*interval).value_or(0)) * 1e-3;
    }
  }
  info.provenance = (device.device_dir / attr.file).string();
  if (kind.domain == Domain::kOther) {
    info.note = "unknown hwmon device: kept out of the total, its overlap is unknown";
  }
  return info;
}

DeviceScan scan_device(const DeviceContext& device, const std::vector<Attribute>& found,
                       ProbeOutcome& outcome) {
  DeviceScan scan;
  for (const auto& attr : found) {
    if (device.kind.first_power_only && attr.quantity != Quantity::kEnergyCounter &&
        attr.number != 1) {
      continue;
    }
    auto label = read_text_file(device.device_dir / (attr.prefix + "_label"));
    const std::optional<std::string> known_label =
        label ? std::optional<std::string>(*label) : std::nullopt;
    if (is_amd_energy(device.name) && known_label && known_label->rfind("Ecore", 0) == 0) {
      // Per-core counters are parts of the socket counter (Esocket*); summing both would
      // count the cores twice, and which socket a core belongs to is not in hwmon.
      continue;
    }
    auto open = open_attribute(device.device_dir / attr.file,
                               fmt::format("{}/{}", device.dir, attr.file), outcome);
    if (!open) continue;
    scan.channels.push_back(channel_of(device, attr, known_label));
    scan.roles.push_back({role_of(device, known_label), device.ordinal});
    scan.attributes.push_back(std::move(*open));
  }
  return scan;
}

// The PCI address of the device a hwmon directory belongs to, from PCI_SLOT_NAME in the uevent
// of the device its `device` link names (a PCI device's uevent carries it); empty for a device
// that is not on PCI.
std::string pci_address_of(const fs::path& hwmon_dir) {
  const auto uevent = read_text_file(hwmon_dir / "device" / "uevent");
  if (!uevent) return {};
  constexpr std::string_view kKey = "PCI_SLOT_NAME=";
  const auto at = uevent->find(kKey);
  if (at == std::string::npos) return {};
  const auto end = uevent->find('\n', at);
  const std::string name = uevent->substr(
      at + kKey.size(), end == std::string::npos ? std::string::npos : end - at - kKey.size());
  static const std::regex kPciAddress(R"(^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$)");
  return std::regex_match(name, kPciAddress) ? name : std::string();
}

// The channel of a vendor library (ROCm SMI, Level Zero) that already reads this GPU, which
// supersedes the hwmon device: the same energy again (docs/backends/amd.md A7).
const ChannelInfo* same_gpu_read_before(const std::string& bus_id, const ProbeContext& context) {
  if (bus_id.empty()) return nullptr;
  for (const auto& c : context.earlier_channels) {
    if (c.identity.bus_id == bus_id &&
        (c.identity.kind == jt::HardwareKind::kGpu || c.domain == Domain::kModule)) {
      return &c;
    }
  }
  return nullptr;
}

std::string id_base(const std::string& name, const HardwareKind& kind,
                    std::map<std::string, int>& name_counts) {
  if (kind.rail) return fmt::format("{}/grace{}/{}", kBackend, kind.rail->socket, kind.rail->slug);
  const int dup = name_counts[name]++;
  return dup == 0 ? fmt::format("{}/{}", kBackend, name)
                  : fmt::format("{}/{}.{}", kBackend, name, dup);
}

}  // namespace

ProbeOutcome probe_hwmon(const ProbeContext& context) {
  ProbeOutcome outcome;
  const fs::path class_dir = context.sysfs_root / "class/hwmon";
  std::error_code ec;
  if (!fs::is_directory(class_dir, ec)) {
    outcome.reports.push_back({std::string(kBackend),
                               ProbeReport::Status::kAbsent,
                               fmt::format("{} does not exist", class_dir.string()),
                               {}});
    return outcome;
  }
  DeviceScan all;
  std::map<std::string, int> name_counts;
  // Each vendor numbers its own GPUs (an amdgpu card and an xe card are both GPU 0 to their
  // tools), in the order the kernel lists them.
  std::map<Vendor, int> gpu_indices;
  int ordinal = 0;
  for (const auto& dir : hwmon_dirs(class_dir)) {
    DeviceContext device;
    device.dir = dir;
    device.device_dir = attribute_dir(class_dir / dir);
    auto name_text = read_text_file(device.device_dir / "name");
    device.name = name_text ? *name_text : dir;
    const std::vector<Attribute> found = measuring_attributes(device.device_dir);
    if (found.empty()) continue;
    device.kind = classify(device.name, device.device_dir, context.rapl_found);
    const std::string bus_id = pci_address_of(class_dir / dir);
    if (const ChannelInfo* same = same_gpu_read_before(bus_id, context);
        same != nullptr && device.kind.vendor != Vendor::kUnknown) {
      device.kind.skip = true;
      device.kind.why_skipped = fmt::format("the GPU at {} is read as {}", bus_id, same->id);
    }
    if (device.kind.skip) {
      outcome.reports.push_back(
          {std::string(kBackend),
           ProbeReport::Status::kNotUsed,
           fmt::format("{} ({}): {}", dir, device.name, device.kind.why_skipped),
           {}});
      continue;
    }
    device.id_base = id_base(device.name, device.kind, name_counts);
    device.gpu_index = gpu_indices[device.kind.vendor];
    device.ordinal = ordinal++;
    DeviceScan scan = scan_device(device, found, outcome);
    for (auto& channel : scan.channels) channel.identity.bus_id = bus_id;
    std::move(scan.channels.begin(), scan.channels.end(), std::back_inserter(all.channels));
    std::move(scan.attributes.begin(), scan.attributes.end(), std::back_inserter(all.attributes));
    all.roles.insert(all.roles.end(), scan.roles.begin(), scan.roles.end());
    if (device.kind.domain == Domain::kGpu) ++gpu_indices[device.kind.vendor];
  }

  if (all.channels.empty()) {
    outcome.reports.push_back({std::string(kBackend),
                               ProbeReport::Status::kAbsent,
                               "no hwmon energy or power attributes",
                               {}});
    return outcome;
  }
  for (auto& note : link_hwmon_containers(all.channels, all.roles, context)) {
    outcome.reports.push_back(
        {std::string(kBackend), ProbeReport::Status::kError, std::move(note), {}});
  }
  std::string summary;
  for (const auto& info : all.channels) summary += (summary.empty() ? "" : ", ") + info.id;
  outcome.reports.push_back({std::string(kBackend),
                             ProbeReport::Status::kPresent,
                             fmt::format("{} channel(s): {}", all.channels.size(), summary),
                             {}});
  outcome.sensors.push_back(
      std::make_unique<SysfsSensor>(kBackend, std::move(all.channels), std::move(all.attributes)));
  return outcome;
}

}  // namespace jt
