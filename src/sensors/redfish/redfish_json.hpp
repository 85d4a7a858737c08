// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

// Pure parsers of what a Redfish service sends: no network, no state, never throw. Each takes
// the body as received, so malformed, truncated or hostile input ends in a clear Error.
namespace jt::redfish {

// Where a node meter's number lives, in the discovery's order of preference: energy counters
// before power (docs/ARCHITECTURE.md §4.1), joules before kWh (resolution,
// docs/backends/redfish.md F4).
enum class SourceKind {
  kEnvironmentEnergyJoules,   // Chassis/{id}/EnvironmentMetrics EnergyJoules.Reading
  kSensorEnergyJoules,        // Chassis/{id}/Sensors/{sid}, ReadingType EnergyJoules
  kSensorEnergykWh,           // Chassis/{id}/Sensors/{sid}, ReadingType EnergykWh
  kEnvironmentEnergykWh,      // EnvironmentMetrics EnergykWh
  kEnvironmentPowerWatts,     // EnvironmentMetrics PowerWatts.Reading
  kLegacyPowerConsumedWatts,  // Chassis/{id}/Power PowerControl[i].PowerConsumedWatts
  // PowerControl[i].PowerMetrics.AverageConsumedWatts, where the BMC gives no instant value
  // (AMI MegaRAC): an average over IntervalInMin.
  kLegacyPowerAverageWatts,
};

const char* to_string(SourceKind kind);
bool is_energy(SourceKind kind);

// Which number of a resource a poll reads.
struct ValueLocator {
  SourceKind kind = SourceKind::kEnvironmentEnergyJoules;
  // Read LifetimeReading instead of Reading: it survives ResetMetrics (docs/backends/redfish.md
  // F3).
  bool lifetime = false;
  std::size_t power_control_index = 0;  // the legacy kinds only
  // The legacy kinds: the entry's MemberId when it has one. A poll finds the entry by it, so that
  // a BMC reordering PowerControl never makes the meter read another entry.
  std::string power_control_member;
};

// "EnergyJoules.Reading", "PowerControl[0].PowerConsumedWatts", ...: for messages and provenance.
std::string describe(const ValueLocator& locator);

struct ServiceRoot {
  std::string chassis_path;   // Chassis collection; the standard path when the root omits it
  std::string sessions_path;  // Links.Sessions; the standard path when the root omits it
};

struct Chassis {
  std::string id;
  std::string name;
  std::string chassis_type;
  std::string power_path;                // legacy Power resource, empty when absent
  std::string environment_metrics_path;  // empty when absent
  std::string sensors_path;              // empty when absent
  // Links.ComputerSystems is not empty: the chassis houses a server (not a shelf or rack).
  bool houses_computer_system = false;
  std::string contained_by;  // Links.ContainedBy: the chassis this one is inside, if any
};

// An excerpt of a sensor as embedded in EnvironmentMetrics.
struct Excerpt {
  std::optional<double> reading;
  std::optional<double> lifetime_reading;
  std::string sensor_reset_time;
  std::string data_source_path;  // DataSourceUri: the full Sensor resource
};

struct EnvironmentMetrics {
  std::optional<Excerpt> energy_joules;
  std::optional<Excerpt> energy_kwh;
  std::optional<Excerpt> power_watts;
};

struct SensorResource {
  std::string id;
  std::string name;
  std::string reading_type;
  std::string reading_units;
  std::optional<double> reading;
  std::optional<double> lifetime_reading;
  std::string sensor_reset_time;
  std::optional<double> accuracy_percent;  // "estimated percent error"
  std::string physical_context;            // what the sensor measures: "Chassis", "GPU", ...
  std::string state;                       // Status.State, e.g. "Enabled", "Absent"
};

// One PowerControl entry of a legacy Power resource.
struct PowerControlEntry {
  std::size_t index = 0;
  std::string member_id;
  std::string name;
  std::string physical_context;
  bool has_consumed = false;  // PowerConsumedWatts is present, a number or null
  std::optional<double> consumed_watts;
  std::optional<double> average_watts;  // PowerMetrics.AverageConsumedWatts
  std::optional<double> interval_min;   // PowerMetrics.IntervalInMin
  std::optional<double> capacity_watts;
};

struct LegacyPower {
  std::vector<PowerControlEntry> entries;
  // The entry that measures the whole chassis, chosen by what it measures and not by whether it
  // has a value now (docs/backends/redfish.md): never a CPU or memory sub-system entry.
  std::optional<std::size_t> whole_chassis;
  std::vector<std::string> subsystem_names;  // entries passed over, for messages
};

Result<ServiceRoot> parse_service_root(std::string_view body);
// Members[].@odata.id of a collection, in the service's order.
Result<std::vector<std::string>> parse_collection(std::string_view body);
// One page of a collection: its members, and Members@odata.nextLink, the path of the next page
// when the service split the collection (DSP0266, "Collection resources"); empty on the last.
struct CollectionPage {
  std::vector<std::string> members;
  std::string next_link;
};
Result<CollectionPage> parse_collection_page(std::string_view body);
Result<Chassis> parse_chassis(std::string_view body);
Result<EnvironmentMetrics> parse_environment_metrics(std::string_view body);
Result<SensorResource> parse_sensor(std::string_view body);
Result<LegacyPower> parse_legacy_power(std::string_view body);
// A PhysicalContext that stands for the whole chassis; an empty one is taken at the chassis'
// word. Anything else (CPUSubsystem, GPU, PowerSupply, ...) is a part.
bool is_whole_chassis_context(std::string_view physical_context);

// The number a poll reads, in the resource's own unit (J, kWh or W). A null, missing or
// non-numeric value is an Error (a BMC shows null while its sensor is unavailable).
Result<double> extract_value(std::string_view body, const ValueLocator& locator);

// The raw reading kept for a value of `kind`: mJ for energies, mW for power. Rejects negative,
// non-finite and out-of-range values.
Result<std::uint64_t> to_raw(double value, SourceKind kind);

// The "error.message" (and first extended message) of a Redfish error body; empty when the
// body is not one.
std::string error_message(std::string_view body);

// The value of header `name` (case-insensitive) among raw header lines ("Name: value\r\n").
std::optional<std::string> header_value(std::span<const std::string> lines, std::string_view name);

// The last segment of an @odata.id path ("/redfish/v1/Chassis/1" -> "1").
std::string last_segment(std::string_view path);

}  // namespace jt::redfish
