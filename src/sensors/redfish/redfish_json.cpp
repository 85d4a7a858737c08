// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/redfish/redfish_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/json_reader.hpp"

namespace jt::redfish {

namespace {

using nlohmann::json;

constexpr double kMilliPerUnit = 1e3;
constexpr double kMillijoulesPerKwh = 3.6e9;  // 1 kWh = 3.6e6 J
// Below 2^63 the conversion of a double to an unsigned 64-bit integer is exact and defined.
constexpr double kMaxRaw = 9.2e18;
constexpr std::size_t kMaxPathLength = 1024;
constexpr std::size_t kMaxQuotedChars = 200;

constexpr const char* kStandardChassisPath = "/redfish/v1/Chassis";
constexpr const char* kStandardSessionsPath = "/redfish/v1/SessionService/Sessions";

// Text from the BMC that goes into a message: bounded and printable.
std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, kMaxQuotedChars)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  if (text.size() > kMaxQuotedChars) out += "...";
  return out;
}

Result<json> parse_object(std::string_view body, std::string_view what) {
  auto root = parse_json(body, fmt::format("the {}", what));
  if (!root) return root;
  if (!root->is_object()) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("the {} is JSON but not an object", what));
  }
  return root;
}

bool valid_path(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.size() > kMaxPathLength) return false;
  if (path.starts_with("//")) return false;  // would name another host
  return std::all_of(path.begin(), path.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '#' && c != '\\';
  });
}

// The @odata.id of a link object such as {"@odata.id": "/redfish/v1/Chassis/1/Power"}.
std::string link_member(const json& object, const char* key) {
  const json* link = find_member(object, key);
  if (link == nullptr) return {};
  std::string path = string_member(*link, "@odata.id");
  return valid_path(path) ? path : std::string();
}

Excerpt parse_excerpt(const json& object) {
  Excerpt excerpt;
  excerpt.reading = finite_member(object, "Reading");
  excerpt.lifetime_reading = finite_member(object, "LifetimeReading");
  excerpt.sensor_reset_time = printable(string_member(object, "SensorResetTime"));
  const std::string source = string_member(object, "DataSourceUri");
  if (valid_path(source)) excerpt.data_source_path = source;
  return excerpt;
}

std::optional<Excerpt> excerpt_member(const json& root, const char* key) {
  const json* object = find_member(root, key);
  if (object == nullptr || !object->is_object()) return std::nullopt;
  return parse_excerpt(*object);
}

Result<double> numeric(const json* value, std::string_view what) {
  if (value == nullptr) return make_error(ErrorKind::kInvalidData, fmt::format("no {}", what));
  if (value->is_null()) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("{} is null (the BMC has no reading now)", what));
  }
  if (!value->is_number()) {
    return make_error(ErrorKind::kInvalidData, fmt::format("{} is not a number", what));
  }
  const double number = value->get<double>();
  if (!std::isfinite(number)) {
    return make_error(ErrorKind::kInvalidData, fmt::format("{} is not finite", what));
  }
  return number;
}

}  // namespace

const char* to_string(SourceKind kind) {
  switch (kind) {
    case SourceKind::kEnvironmentEnergyJoules: return "EnvironmentMetrics EnergyJoules";
    case SourceKind::kSensorEnergyJoules: return "Sensor EnergyJoules";
    case SourceKind::kSensorEnergykWh: return "Sensor EnergykWh";
    case SourceKind::kEnvironmentEnergykWh: return "EnvironmentMetrics EnergykWh";
    case SourceKind::kEnvironmentPowerWatts: return "EnvironmentMetrics PowerWatts";
    case SourceKind::kLegacyPowerConsumedWatts: return "Power PowerConsumedWatts";
    case SourceKind::kLegacyPowerAverageWatts: return "Power AverageConsumedWatts";
  }
  return "unknown";
}

bool is_energy(SourceKind kind) {
  return kind == SourceKind::kEnvironmentEnergyJoules || kind == SourceKind::kSensorEnergyJoules ||
         kind == SourceKind::kSensorEnergykWh || kind == SourceKind::kEnvironmentEnergykWh;
}

std::string describe(const ValueLocator& locator) {
  const char* reading = locator.lifetime ? "LifetimeReading" : "Reading";
  switch (locator.kind) {
    case SourceKind::kEnvironmentEnergyJoules: return fmt::format("EnergyJoules.{}", reading);
    case SourceKind::kEnvironmentEnergykWh: return fmt::format("EnergykWh.{}", reading);
    case SourceKind::kEnvironmentPowerWatts: return fmt::format("PowerWatts.{}", reading);
    case SourceKind::kSensorEnergyJoules:
    case SourceKind::kSensorEnergykWh: return reading;
    case SourceKind::kLegacyPowerConsumedWatts:
      return fmt::format("PowerControl[{}].PowerConsumedWatts", locator.power_control_index);
    case SourceKind::kLegacyPowerAverageWatts:
      return fmt::format("PowerControl[{}].PowerMetrics.AverageConsumedWatts",
                         locator.power_control_index);
  }
  return reading;
}

Result<ServiceRoot> parse_service_root(std::string_view body) {
  auto root = parse_object(body, "service root");
  if (!root) return std::unexpected(root.error());
  ServiceRoot service;
  service.chassis_path = link_member(*root, "Chassis");
  if (service.chassis_path.empty()) service.chassis_path = kStandardChassisPath;
  if (const json* links = find_member(*root, "Links")) {
    service.sessions_path = link_member(*links, "Sessions");
  }
  if (service.sessions_path.empty()) service.sessions_path = kStandardSessionsPath;
  return service;
}

Result<CollectionPage> parse_collection_page(std::string_view body) {
  auto root = parse_object(body, "collection");
  if (!root) return std::unexpected(root.error());
  const json* members = find_member(*root, "Members");
  if (members == nullptr || !members->is_array()) {
    return make_error(ErrorKind::kInvalidData, "the collection has no Members array");
  }
  CollectionPage page;
  for (const auto& item : *members) {
    std::string path = string_member(item, "@odata.id");
    if (!valid_path(path)) {
      return make_error(ErrorKind::kInvalidData,
                        "a collection member has no valid @odata.id (an absolute path)");
    }
    page.members.push_back(std::move(path));
  }
  if (const json* next = find_member(*root, "Members@odata.nextLink")) {
    if (!next->is_string() || !valid_path(next->get<std::string>())) {
      return make_error(ErrorKind::kInvalidData,
                        "Members@odata.nextLink is not a path on this service");
    }
    page.next_link = next->get<std::string>();
  }
  return page;
}

Result<std::vector<std::string>> parse_collection(std::string_view body) {
  auto page = parse_collection_page(body);
  if (!page) return std::unexpected(page.error());
  return std::move(page->members);
}

Result<Chassis> parse_chassis(std::string_view body) {
  auto root = parse_object(body, "chassis");
  if (!root) return std::unexpected(root.error());
  Chassis chassis;
  chassis.id = printable(string_member(*root, "Id"));
  chassis.name = printable(string_member(*root, "Name"));
  chassis.chassis_type = printable(string_member(*root, "ChassisType"));
  chassis.power_path = link_member(*root, "Power");
  chassis.environment_metrics_path = link_member(*root, "EnvironmentMetrics");
  chassis.sensors_path = link_member(*root, "Sensors");
  if (const json* links = find_member(*root, "Links")) {
    const json* systems = find_member(*links, "ComputerSystems");
    chassis.houses_computer_system = systems != nullptr && systems->is_array() && !systems->empty();
    chassis.contained_by = link_member(*links, "ContainedBy");
  }
  return chassis;
}

Result<EnvironmentMetrics> parse_environment_metrics(std::string_view body) {
  auto root = parse_object(body, "EnvironmentMetrics resource");
  if (!root) return std::unexpected(root.error());
  EnvironmentMetrics metrics;
  metrics.energy_joules = excerpt_member(*root, "EnergyJoules");
  metrics.energy_kwh = excerpt_member(*root, "EnergykWh");
  metrics.power_watts = excerpt_member(*root, "PowerWatts");
  return metrics;
}

Result<SensorResource> parse_sensor(std::string_view body) {
  auto root = parse_object(body, "Sensor resource");
  if (!root) return std::unexpected(root.error());
  SensorResource sensor;
  sensor.id = printable(string_member(*root, "Id"));
  sensor.name = printable(string_member(*root, "Name"));
  sensor.reading_type = printable(string_member(*root, "ReadingType"));
  sensor.reading_units = printable(string_member(*root, "ReadingUnits"));
  sensor.reading = finite_member(*root, "Reading");
  sensor.lifetime_reading = finite_member(*root, "LifetimeReading");
  sensor.sensor_reset_time = printable(string_member(*root, "SensorResetTime"));
  sensor.physical_context = printable(string_member(*root, "PhysicalContext"));
  sensor.accuracy_percent = finite_member(*root, "Accuracy");
  if (sensor.accuracy_percent && *sensor.accuracy_percent < 0.0) sensor.accuracy_percent.reset();
  if (const json* status = find_member(*root, "Status")) {
    sensor.state = printable(string_member(*status, "State"));
  }
  return sensor;
}

bool is_whole_chassis_context(std::string_view physical_context) {
  return physical_context.empty() || physical_context == "Chassis" ||
         physical_context == "SystemBoard";
}

namespace {

// What a PowerControl entry measures: Lenovo XCC lists "Server Power Control" next to "CPU
// Sub-system Power" and "Memory Sub-system Power" (PhysicalContext CPUSubsystem,
// MemorySubsystem); only the first is the node (docs/backends/redfish.md).
bool is_subsystem(const PowerControlEntry& entry) {
  // A PowerControl entry measured at the power supplies is the chassis' input, unlike a Sensor
  // of that context, which is one supply.
  if (!is_whole_chassis_context(entry.physical_context) &&
      entry.physical_context != "PowerSupply") {
    return true;
  }
  std::string name = entry.name;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name.find("sub-system") != std::string::npos ||
         name.find("subsystem") != std::string::npos;
}

PowerControlEntry power_control_entry(const json& control, std::size_t index) {
  PowerControlEntry entry;
  entry.index = index;
  if (const json* id = find_member(control, "MemberId")) {
    entry.member_id = id->is_string()           ? printable(id->get<std::string>())
                      : id->is_number_integer() ? std::to_string(id->get<long long>())
                                                : std::string();
  }
  entry.name = printable(string_member(control, "Name"));
  entry.physical_context = printable(string_member(control, "PhysicalContext"));
  entry.has_consumed = control.is_object() && control.contains("PowerConsumedWatts");
  entry.consumed_watts = finite_member(control, "PowerConsumedWatts");
  entry.capacity_watts = finite_member(control, "PowerCapacityWatts");
  if (const json* metrics = find_member(control, "PowerMetrics")) {
    entry.average_watts = finite_member(*metrics, "AverageConsumedWatts");
    entry.interval_min = finite_member(*metrics, "IntervalInMin");
  }
  return entry;
}

}  // namespace

Result<LegacyPower> parse_legacy_power(std::string_view body) {
  auto root = parse_object(body, "Power resource");
  if (!root) return std::unexpected(root.error());
  LegacyPower power;
  const json* controls = find_member(*root, "PowerControl");
  if (controls == nullptr || !controls->is_array()) return power;
  for (std::size_t i = 0; i < controls->size(); ++i) {
    PowerControlEntry entry = power_control_entry((*controls)[i], i);
    const bool measures = entry.has_consumed || entry.average_watts.has_value();
    if (is_subsystem(entry)) {
      power.subsystem_names.push_back(entry.name.empty() ? entry.member_id : entry.name);
    } else if (measures && !power.whole_chassis) {
      power.whole_chassis = power.entries.size();
    }
    power.entries.push_back(std::move(entry));
  }
  return power;
}

namespace {

// The PowerControl entry a legacy locator names: by MemberId when it has one, else by position.
const json* power_control(const json& root, const ValueLocator& locator) {
  const json* controls = find_member(root, "PowerControl");
  if (controls == nullptr || !controls->is_array()) return nullptr;
  if (locator.power_control_member.empty()) {
    return locator.power_control_index < controls->size()
               ? &(*controls)[locator.power_control_index]
               : nullptr;
  }
  for (std::size_t i = 0; i < controls->size(); ++i) {
    if (power_control_entry((*controls)[i], i).member_id == locator.power_control_member) {
      return &(*controls)[i];
    }
  }
  return nullptr;
}

}  // namespace

Result<double> extract_value(std::string_view body, const ValueLocator& locator) {
  auto root = parse_object(body, "reading");
  if (!root) return std::unexpected(root.error());
  const char* reading = locator.lifetime ? "LifetimeReading" : "Reading";
  const std::string what = describe(locator);
  const json* object = nullptr;
  switch (locator.kind) {
    case SourceKind::kEnvironmentEnergyJoules: object = find_member(*root, "EnergyJoules"); break;
    case SourceKind::kEnvironmentEnergykWh: object = find_member(*root, "EnergykWh"); break;
    case SourceKind::kEnvironmentPowerWatts: object = find_member(*root, "PowerWatts"); break;
    case SourceKind::kSensorEnergyJoules:
    case SourceKind::kSensorEnergykWh: object = &*root; break;
    case SourceKind::kLegacyPowerConsumedWatts:
    case SourceKind::kLegacyPowerAverageWatts: {
      const json* control = power_control(*root, locator);
      if (control == nullptr)
        return make_error(ErrorKind::kInvalidData, fmt::format("no {}", what));
      if (locator.kind == SourceKind::kLegacyPowerConsumedWatts) {
        return numeric(find_member(*control, "PowerConsumedWatts"), what);
      }
      const json* metrics = find_member(*control, "PowerMetrics");
      return numeric(metrics == nullptr ? nullptr : find_member(*metrics, "AverageConsumedWatts"),
                     what);
    }
  }
  if (object == nullptr || !object->is_object()) {
    return make_error(ErrorKind::kInvalidData, fmt::format("no {}", what));
  }
  return numeric(find_member(*object, reading), what);
}

Result<std::uint64_t> to_raw(double value, SourceKind kind) {
  if (!std::isfinite(value)) return make_error(ErrorKind::kInvalidData, "the value is not finite");
  if (value < 0.0) {
    return make_error(
        ErrorKind::kInvalidData,
        fmt::format("negative {} ({:g})", is_energy(kind) ? "energy" : "power", value));
  }
  double raw = 0.0;
  switch (kind) {
    case SourceKind::kSensorEnergykWh:
    case SourceKind::kEnvironmentEnergykWh: raw = value * kMillijoulesPerKwh; break;
    default: raw = value * kMilliPerUnit; break;
  }
  raw = std::round(raw);
  if (!(raw < kMaxRaw)) {
    return make_error(ErrorKind::kInvalidData, fmt::format("value {:g} is out of range", value));
  }
  return static_cast<std::uint64_t>(raw);
}

std::string error_message(std::string_view body) {
  const auto root = parse_json(body, "the error body");
  if (!root) return {};
  const json* error = find_member(*root, "error");
  if (error == nullptr) return {};
  std::string message = string_member(*error, "message");
  if (const json* extended = find_member(*error, "@Message.ExtendedInfo");
      extended != nullptr && extended->is_array() && !extended->empty()) {
    std::string detail = string_member((*extended)[0], "Message");
    if (detail.empty()) detail = string_member((*extended)[0], "MessageId");
    if (!detail.empty()) message += (message.empty() ? "" : ": ") + detail;
  }
  return printable(message);
}

std::optional<std::string> header_value(std::span<const std::string> lines, std::string_view name) {
  for (const auto& line : lines) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos || colon != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < colon && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(line[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (!same) continue;
    std::string_view value = std::string_view(line).substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())) != 0) {
      value.remove_suffix(1);
    }
    return std::string(value);
  }
  return std::nullopt;
}

std::string last_segment(std::string_view path) {
  while (path.ends_with("/")) path.remove_suffix(1);
  const std::size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace jt::redfish
