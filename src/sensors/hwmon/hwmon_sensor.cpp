// hwmon energy and power attributes (SENSORS.md §7.4): <sysfs-root>/class/hwmon/hwmonN.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "core/sysfs_file.hpp"
#include "sensors/backends.hpp"
#include "sensors/sysfs_sensor.hpp"

namespace jt {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kBackend = "hwmon";

struct DeviceKind {
  Domain domain = Domain::kOther;
  bool skip = false;
  std::string why_skipped;
};

// amd_energy and its maintained fork zenergy read the RAPL MSRs through hwmon, labelling their
// channels Ecore<NNN> and Esocket<N> (docs/backends/hwmon.md).
bool is_amd_energy(const std::string& name) { return name == "amd_energy" || name == "zenergy"; }

DeviceKind classify(const std::string& name, bool rapl_found) {
  if (name == "power_meter") return {Domain::kNode, false, {}};  // ACPI power meter
  if (is_amd_energy(name)) {
    if (rapl_found) return {Domain::kPackage, true, "repeats the RAPL counters already read"};
    return {Domain::kPackage, false, {}};
  }
  if (name == "i915" || name == "xe" || name == "amdgpu") return {Domain::kGpu, false, {}};
  if (name.rfind("i915_", 0) == 0 || name.rfind("xe_", 0) == 0) {
    return {Domain::kGpu, true, "part of the device-level GPU channel"};
  }
  return {Domain::kOther, false, {}};
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
  std::vector<std::string> dirs;
  for (const auto& entry : fs::directory_iterator(class_dir, ec)) {
    const std::string dir = entry.path().filename().string();
    if (dir.rfind("hwmon", 0) == 0 && dir.size() > 5) dirs.push_back(dir);
  }
  std::sort(dirs.begin(), dirs.end(), [](const std::string& a, const std::string& b) {
    return hwmon_number(a) < hwmon_number(b);
  });

  static const std::regex kAttributePattern(R"(^(energy|power)(\d+)_(input|average)$)");
  std::vector<ChannelInfo> channels;
  std::vector<OpenAttribute> attributes;
  std::map<std::string, int> name_counts;
  int gpu_index = 0;
  for (const auto& dir : dirs) {
    const fs::path device_dir = attribute_dir(class_dir / dir);
    auto name_text = read_text_file(device_dir / "name");
    const std::string name = name_text ? *name_text : dir;
    std::vector<Attribute> found;
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
    if (found.empty()) continue;
    const DeviceKind kind = classify(name, context.rapl_found);
    if (kind.skip) {
      outcome.reports.push_back({std::string(kBackend),
                                 ProbeReport::Status::kNotUsed,
                                 fmt::format("{} ({}): {}", dir, name, kind.why_skipped),
                                 {}});
      continue;
    }
    // Counters first (ARCHITECTURE §4.1): a device with an energy counter is not also
    // integrated from its power readings. An averaged power beats an instantaneous one.
    const bool has_energy = std::any_of(found.begin(), found.end(), [](const Attribute& a) {
      return a.quantity == Quantity::kEnergyCounter;
    });
    std::sort(found.begin(), found.end(), [](const Attribute& a, const Attribute& b) {
      if (a.number != b.number) return a.number < b.number;
      return static_cast<int>(a.quantity) > static_cast<int>(b.quantity);
    });
    const int dup = name_counts[name]++;
    const std::string channel_base = dup == 0 ? fmt::format("{}/{}", kBackend, name)
                                              : fmt::format("{}/{}.{}", kBackend, name, dup);
    std::vector<std::string> used_prefixes;
    std::vector<int> used_power_numbers;
    for (const auto& attr : found) {
      if (has_energy && attr.quantity != Quantity::kEnergyCounter) continue;
      auto label = read_text_file(device_dir / (attr.prefix + "_label"));
      if (is_amd_energy(name) && label && label->rfind("Ecore", 0) == 0) {
        // Per-core counters are parts of the socket counter (Esocket*); summing both would
        // count the cores twice, and which socket a core belongs to is not in hwmon.
        continue;
      }
      if (attr.quantity != Quantity::kEnergyCounter &&
          std::find(used_power_numbers.begin(), used_power_numbers.end(), attr.number) !=
              used_power_numbers.end()) {
        continue;  // power<N>_input next to power<N>_average: the average was taken
      }
      auto open = OpenAttribute::open(device_dir / attr.file);
      if (!open && open.error().kind == ErrorKind::kPermissionDenied) {
        outcome.reports.push_back(
            {std::string(kBackend), ProbeReport::Status::kPermissionDenied, open.error().message,
             "the hwmon ABI expects world-readable attributes; check the driver or udev rules"});
        continue;
      }
      // An attribute listed a moment ago that cannot be read now (a GPU waking up, a meter
      // answering late) is kept and read again every round, like a powercap zone.
      if (!open || open->read_u64_settled().status != OpenAttribute::Status::kOk) {
        outcome.reports.push_back(
            {std::string(kBackend),
             ProbeReport::Status::kError,
             fmt::format("{}/{}: {} when the devices were found; kept and read again every round",
                         dir, attr.file, open ? "not a number" : open.error().message),
             {}});
        if (!open) open = OpenAttribute::unopened(device_dir / attr.file);
      }
      ChannelInfo info;
      info.id = fmt::format("{}/{}", channel_base, attr.prefix);
      info.domain = kind.domain;
      info.index = kind.domain == Domain::kGpu    ? gpu_index
                   : is_amd_energy(name) && label ? socket_index(*label)
                                                  : 0;
      info.device = label ? fmt::format("{} {}", name, *label) : name;
      info.quantity = attr.quantity;
      info.scale = 1e-6;
      info.raw_unit = attr.quantity == Quantity::kEnergyCounter ? "uJ" : "uW";
      info.wrap_modulus = 0;
      info.max_power_w = 0.0;
      if (attr.quantity == Quantity::kAveragePower) {
        if (auto interval = read_text_file(device_dir / (attr.prefix + "_average_interval"))) {
          info.update_period_s = static_cast<double>(parse_u64(*interval).value_or(0)) * 1e-3;
        }
      }
      info.provenance = (device_dir / attr.file).string();
      if (kind.domain == Domain::kOther) {
        info.note = "unknown hwmon device: kept out of the total, its overlap is unknown";
      }
      if (attr.quantity != Quantity::kEnergyCounter) used_power_numbers.push_back(attr.number);
      channels.push_back(std::move(info));
      attributes.push_back(std::move(*open));
    }
    if (kind.domain == Domain::kGpu) ++gpu_index;
  }

  if (channels.empty()) {
    outcome.reports.push_back({std::string(kBackend),
                               ProbeReport::Status::kAbsent,
                               "no hwmon energy or power attributes",
                               {}});
    return outcome;
  }
  std::string summary;
  for (const auto& info : channels) summary += (summary.empty() ? "" : ", ") + info.id;
  outcome.reports.push_back({std::string(kBackend),
                             ProbeReport::Status::kPresent,
                             fmt::format("{} channel(s): {}", channels.size(), summary),
                             {}});
  outcome.sensors.push_back(
      std::make_unique<SysfsSensor>(kBackend, std::move(channels), std::move(attributes)));
  return outcome;
}

}  // namespace jt
