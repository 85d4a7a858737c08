// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/redfish/redfish_sensor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/clock.hpp"
#include "sensors/bmc_backends.hpp"

namespace jt::redfish {

namespace {

constexpr const char* kBackend = "redfish";
constexpr double kMilli = 1e-3;
constexpr double kPercent = 1e-2;
// A Sensors collection can list hundreds of temperatures and fans; an energy sensor is among
// the first few on the BMCs documented so far. Bounding the walk bounds the probe's time.
constexpr std::size_t kMaxSensorsPerChassis = 64;
constexpr std::size_t kMaxChassis = 32;
// Pages of one collection followed at most: a service that pages 64 members at a time (or even
// one) reaches the bounds above long before.
constexpr int kMaxCollectionPages = 100;

// A failure that makes every further request pointless: stop the walk and say why. An error
// status is about one resource; no answer, refused credentials or a broken answer is the BMC's.
bool is_fatal(const Error& error) {
  return !error.http_status || error.kind == ErrorKind::kPermissionDenied;
}

// The body of an optional sub-resource: nullopt (with a note) when it is missing or refused.
Result<std::optional<std::string>> fetch_part(Client& client, const std::string& path,
                                              std::vector<std::string>& problems) {
  auto body = client.get(path);
  if (body) return std::optional<std::string>(std::move(*body));
  if (is_fatal(body.error())) return std::unexpected(body.error());
  problems.push_back(body.error().message);
  return std::optional<std::string>();
}

template <typename T>
std::optional<T> parsed_or_note(Result<T> parsed, const Client& client, const std::string& path,
                                std::vector<std::string>& problems) {
  if (parsed) return std::move(*parsed);
  problems.push_back(fmt::format("{} at {}", parsed.error().message, client.url_for(path)));
  return std::nullopt;
}

// Every member of a collection, page after page (Members@odata.nextLink): a service may split
// a long collection, and a meter listed on a later page is still the meter. nullopt (with a
// note) when not even the first page could be had.
Result<std::optional<std::vector<std::string>>> fetch_members(Client& client,
                                                              const std::string& path,
                                                              std::vector<std::string>& problems) {
  std::vector<std::string> members;
  std::vector<std::string> visited;
  for (std::string next = path; !next.empty();) {
    if (std::find(visited.begin(), visited.end(), next) != visited.end() ||
        visited.size() == static_cast<std::size_t>(kMaxCollectionPages)) {
      problems.push_back(fmt::format("{}: stopped after {} pages (a loop, or too many)",
                                     client.url_for(path), visited.size()));
      break;
    }
    visited.push_back(next);
    auto body = fetch_part(client, next, problems);
    if (!body) return std::unexpected(body.error());
    auto page = *body ? parsed_or_note(parse_collection_page(**body), client, next, problems)
                      : std::nullopt;
    if (!page) {
      if (visited.size() == 1) return std::optional<std::vector<std::string>>();
      break;  // the pages before stand; the note says what was missed
    }
    members.insert(members.end(), page->members.begin(), page->members.end());
    next = page->next_link;
  }
  return std::optional<std::vector<std::string>>(std::move(members));
}

// The accuracy of the Sensor an EnvironmentMetrics excerpt was taken from, when it says.
Result<std::optional<double>> source_accuracy(Client& client, const Excerpt& excerpt,
                                              std::vector<std::string>& problems) {
  if (excerpt.data_source_path.empty()) return std::optional<double>();
  auto body = fetch_part(client, excerpt.data_source_path, problems);
  if (!body) return std::unexpected(body.error());
  if (!*body) return std::optional<double>();
  auto sensor = parsed_or_note(parse_sensor(**body), client, excerpt.data_source_path, problems);
  return sensor ? sensor->accuracy_percent : std::optional<double>();
}

Candidate from_excerpt(const Chassis& chassis, SourceKind kind, const Excerpt& excerpt,
                       const std::string& path) {
  Candidate candidate;
  candidate.locator.kind = kind;
  candidate.locator.lifetime = excerpt.lifetime_reading.has_value();
  candidate.first_value = excerpt.lifetime_reading.value_or(excerpt.reading.value_or(0.0));
  candidate.read_path = path;
  candidate.sensor_reset_time = excerpt.sensor_reset_time;
  candidate.chassis_id = chassis.id;
  return candidate;
}

Candidate from_sensor(SourceKind kind, const SensorResource& sensor, const std::string& path) {
  Candidate candidate;
  candidate.locator.kind = kind;
  candidate.locator.lifetime = sensor.lifetime_reading.has_value();
  candidate.first_value = sensor.lifetime_reading.value_or(sensor.reading.value_or(0.0));
  candidate.read_path = path;
  candidate.accuracy_percent = sensor.accuracy_percent;
  candidate.sensor_reset_time = sensor.sensor_reset_time;
  return candidate;
}

bool has_value(const std::optional<Excerpt>& excerpt) {
  return excerpt && (excerpt->reading || excerpt->lifetime_reading);
}

std::string joined(const std::vector<std::string>& items, std::string_view separator,
                   std::size_t limit = 5) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < limit; ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  if (items.size() > limit) out += fmt::format("{}({} more)", separator, items.size() - limit);
  return out;
}

// The whole-chassis PowerControl entry, found by MemberId on every poll; its instant value, or
// where the BMC gives none (AMI MegaRAC), its average over IntervalInMin.
Candidate legacy_candidate(const LegacyPower& power, const std::string& path) {
  const PowerControlEntry& entry = power.entries[*power.whole_chassis];
  Candidate candidate;
  candidate.locator.kind = entry.has_consumed ? SourceKind::kLegacyPowerConsumedWatts
                                              : SourceKind::kLegacyPowerAverageWatts;
  candidate.locator.power_control_index = entry.index;
  // Found again by MemberId on every poll, when it names this entry alone.
  const auto same_id =
      std::count_if(power.entries.begin(), power.entries.end(),
                    [&](const PowerControlEntry& e) { return e.member_id == entry.member_id; });
  if (same_id == 1) candidate.locator.power_control_member = entry.member_id;
  candidate.read_path = path;
  candidate.first_value =
      (entry.has_consumed ? entry.consumed_watts : entry.average_watts).value_or(0.0);
  if (!entry.has_consumed && entry.interval_min && *entry.interval_min > 0.0) {
    candidate.averaging_s = *entry.interval_min * 60.0;
  }
  if (entry.capacity_watts && *entry.capacity_watts > 0.0) {
    candidate.max_power_w = entry.capacity_watts;
  }
  return candidate;
}

// The step of an energy given in kWh, from the digits of a value: 325675 -> 1 kWh, 38.84 ->
// 0.01 kWh. A trailing zero the BMC dropped makes it look coarser, never finer.
double kwh_step_j(double kwh) {
  constexpr double kJoulesPerKwh = 3.6e6;
  const std::string text = fmt::format("{}", kwh);
  if (text.find_first_of("eE") != std::string::npos) return 0.0;
  const auto dot = text.find('.');
  const int decimals = dot == std::string::npos ? 0 : static_cast<int>(text.size() - dot - 1);
  // Beyond a few joules the step is below every other term: the BMC computes, not rounds.
  if (decimals > 6) return 0.0;
  return kJoulesPerKwh * std::pow(10.0, -decimals);
}

bool is_kwh(SourceKind kind) {
  return kind == SourceKind::kSensorEnergykWh || kind == SourceKind::kEnvironmentEnergykWh;
}

// The best meter of one chassis, in the order of SourceKind.
Result<std::optional<Candidate>> examine_chassis(Client& client, const Chassis& chassis,
                                                 std::vector<std::string>& problems) {
  std::optional<EnvironmentMetrics> metrics;
  const std::string& em_path = chassis.environment_metrics_path;
  if (!em_path.empty()) {
    auto body = fetch_part(client, em_path, problems);
    if (!body) return std::unexpected(body.error());
    if (*body)
      metrics = parsed_or_note(parse_environment_metrics(**body), client, em_path, problems);
  }
  auto with_accuracy = [&](Candidate candidate,
                           const Excerpt& excerpt) -> Result<std::optional<Candidate>> {
    auto accuracy = source_accuracy(client, excerpt, problems);
    if (!accuracy) return std::unexpected(accuracy.error());
    candidate.accuracy_percent = *accuracy;
    return std::optional<Candidate>(std::move(candidate));
  };

  if (metrics && has_value(metrics->energy_joules)) {
    return with_accuracy(from_excerpt(chassis, SourceKind::kEnvironmentEnergyJoules,
                                      *metrics->energy_joules, em_path),
                         *metrics->energy_joules);
  }

  std::optional<Candidate> kwh_sensor;
  if (!chassis.sensors_path.empty()) {
    auto fetched = fetch_members(client, chassis.sensors_path, problems);
    if (!fetched) return std::unexpected(fetched.error());
    std::optional<std::vector<std::string>> members = std::move(*fetched);
    if (members && members->size() > kMaxSensorsPerChassis) {
      problems.push_back(fmt::format("{} lists {} sensors; only the first {} were examined",
                                     client.url_for(chassis.sensors_path), members->size(),
                                     kMaxSensorsPerChassis));
      members->resize(kMaxSensorsPerChassis);
    }
    for (const auto& path : members.value_or(std::vector<std::string>{})) {
      auto sensor_body = fetch_part(client, path, problems);
      if (!sensor_body) return std::unexpected(sensor_body.error());
      if (!*sensor_body) continue;
      auto sensor = parsed_or_note(parse_sensor(**sensor_body), client, path, problems);
      if (!sensor || !(sensor->reading || sensor->lifetime_reading)) continue;
      // EnergyJoules is also meant for device-level consumption (docs/backends/redfish.md F3):
      // a GPU's or a power supply's sensor in the chassis collection is not the node.
      if (!is_whole_chassis_context(sensor->physical_context)) {
        if (sensor->reading_type == "EnergyJoules" || sensor->reading_type == "EnergykWh") {
          problems.push_back(fmt::format("{}: {} sensor of a {} (PhysicalContext), not the node",
                                         client.url_for(path), sensor->reading_type,
                                         sensor->physical_context));
        }
        continue;
      }
      if (sensor->reading_type == "EnergyJoules") {
        return std::optional<Candidate>(
            from_sensor(SourceKind::kSensorEnergyJoules, *sensor, path));
      }
      if (sensor->reading_type == "EnergykWh" && !kwh_sensor) {
        kwh_sensor = from_sensor(SourceKind::kSensorEnergykWh, *sensor, path);
      }
    }
  }
  // kWh is often whole or 0.001 kWh: the chassis' power is read beside it for short runs.
  auto with_power_beside = [&](Candidate energy) -> Result<std::optional<Candidate>> {
    energy.resolution_j = kwh_step_j(energy.first_value);
    if (metrics && has_value(metrics->power_watts)) {
      auto power = with_accuracy(
          from_excerpt(chassis, SourceKind::kEnvironmentPowerWatts, *metrics->power_watts, em_path),
          *metrics->power_watts);
      if (!power) return std::unexpected(power.error());
      if (*power) energy.alternatives.push_back(std::move(**power));
    }
    return std::optional<Candidate>(std::move(energy));
  };
  if (kwh_sensor) return with_power_beside(std::move(*kwh_sensor));

  if (metrics && has_value(metrics->energy_kwh)) {
    auto energy = with_accuracy(
        from_excerpt(chassis, SourceKind::kEnvironmentEnergykWh, *metrics->energy_kwh, em_path),
        *metrics->energy_kwh);
    if (!energy || !*energy) return energy;
    return with_power_beside(std::move(**energy));
  }
  if (metrics && has_value(metrics->power_watts)) {
    return with_accuracy(
        from_excerpt(chassis, SourceKind::kEnvironmentPowerWatts, *metrics->power_watts, em_path),
        *metrics->power_watts);
  }

  if (!chassis.power_path.empty()) {
    auto body = fetch_part(client, chassis.power_path, problems);
    if (!body) return std::unexpected(body.error());
    if (!*body) return std::optional<Candidate>();
    auto power = parsed_or_note(parse_legacy_power(**body), client, chassis.power_path, problems);
    if (power && power->whole_chassis) return legacy_candidate(*power, chassis.power_path);
    if (power) {
      problems.push_back(
          fmt::format("{}: none of its {} PowerControl entries measures the whole chassis{}",
                      client.url_for(chassis.power_path), power->entries.size(),
                      power->subsystem_names.empty()
                          ? std::string()
                          : " (passed over: " + joined(power->subsystem_names, ", ") + ")"));
    }
  }
  return std::optional<Candidate>();
}

ProbeReport report(ProbeReport::Status status, std::string detail, std::string hint = {}) {
  return ProbeReport{kBackend, status, std::move(detail), std::move(hint)};
}

ProbeReport failure_report(const Error& error, const Config& config) {
  const std::string file = config.source.string();
  switch (error.kind) {
    case ErrorKind::kUnreachable:
      return report(ProbeReport::Status::kError, "BMC unreachable: " + error.message,
                    fmt::format("check \"url\" in {} and that this node can reach the BMC's "
                                "management network",
                                file));
    case ErrorKind::kTimeout:
      return report(ProbeReport::Status::kError, "BMC timed out: " + error.message,
                    fmt::format("the BMC did not answer within timeout_s = {:g} s; raise "
                                "\"timeout_s\" in {} if it is only slow",
                                config.timeout_s, file));
    case ErrorKind::kTls:
      return report(ProbeReport::Status::kError, "TLS failure talking to the BMC: " + error.message,
                    config.verify_tls
                        ? fmt::format("the BMC's certificate could not be verified: put the CA "
                                      "that signed it in \"ca_file\" in {} (\"verify_tls\": false "
                                      "turns the check off, which is insecure)",
                                      file)
                        : std::string("check that the url's port serves HTTPS"));
    case ErrorKind::kPermissionDenied:
      return report(ProbeReport::Status::kPermissionDenied,
                    "BMC refused the credentials: " + error.message,
                    fmt::format("check \"username\", \"password\" and \"auth\" in {}; the account "
                                "needs at least the ReadOnly role",
                                file));
    case ErrorKind::kIo:
      return report(ProbeReport::Status::kError, "BMC error: " + error.message,
                    "check the BMC's Redfish service (firmware, enabled) and the config");
    case ErrorKind::kInvalidData:
      return report(ProbeReport::Status::kError, "bad answer from the BMC: " + error.message,
                    "the BMC does not follow the Redfish protocol here; check its firmware");
    default: return report(ProbeReport::Status::kError, error.message);
  }
}

ChannelInfo make_channel(const Candidate& chosen, const Client& client,
                         const std::vector<std::string>& warnings) {
  ChannelInfo channel;
  channel.id = std::string(kBackend) + "/" + chosen.chassis_id;
  channel.domain = Domain::kNode;
  channel.identity = identity_of(channel.domain, 0);
  channel.device =
      chosen.chassis_name.empty() ? "Redfish chassis " + chosen.chassis_id : chosen.chassis_name;
  const SourceKind kind = chosen.locator.kind;
  std::vector<std::string> notes;
  if (is_energy(kind)) {
    channel.quantity = Quantity::kEnergyCounter;
    channel.raw_unit = "mJ";
    // 64-bit and never wrapping; a decrease is a reset (ResetMetrics, BMC reboot), which the
    // sampler turns into a new segment.
    channel.wrap_modulus = 0;
  } else {
    // Redfish power is a mean over a whole number of line cycles (tens of ms,
    // docs/backends/redfish.md F3): instantaneous at any poll interval we use, so it is
    // integrated by the trapezoid rule. Not "averaged": no window of the BMC's own is known to
    // align samples with.
    channel.quantity = Quantity::kInstantPower;
    channel.raw_unit = "mW";
    notes.push_back("no energy reading on this BMC: its power is polled and integrated");
  }
  channel.scale = kMilli;
  if (is_kwh(kind) && chosen.resolution_j > 0.0) {
    channel.resolution = chosen.resolution_j;
    notes.push_back(fmt::format(
        "EnergykWh given to {:g} kWh: {:g} J per step, in the uncertainty (BMCs often resolve "
        "0.001 kWh or whole kWh, docs/backends/redfish.md)",
        chosen.resolution_j / 3.6e6, chosen.resolution_j));
  } else if (is_kwh(kind)) {
    notes.push_back("EnergykWh given with more than 6 decimals: no coarser step than 1 mJ assumed");
  }
  if (chosen.averaging_s > 0.0) {
    // An average over the BMC's own window: as stale as that window at each end.
    channel.quantity = Quantity::kAveragePower;
    channel.update_period_s = std::max(chosen.averaging_s, client.config().interval_s);
    notes.push_back(fmt::format("the BMC gives only its average over {:g} s", chosen.averaging_s));
  } else {
    // Redfish publishes no refresh period and vendors differ (HPE iLO collects every 10 s,
    // docs/backends/redfish.md F6). Assume it is no faster than we poll, and say so: an unknown
    // period taken as 0 would claim a window error of nothing.
    channel.update_period_s = std::max(client.config().interval_s, 1.0);
    notes.push_back(
        fmt::format("BMC refresh period vendor-defined; assumed {:g} s for the uncertainty",
                    channel.update_period_s));
  }
  channel.max_power_w = chosen.max_power_w.value_or(0.0);
  channel.provenance = client.url_for(chosen.read_path) + " " + describe(chosen.locator);
  if (chosen.accuracy_percent) channel.calibration_error = *chosen.accuracy_percent * kPercent;
  for (const auto& w : warnings) notes.push_back(w);
  channel.note = joined(notes, "; ", notes.size());
  return channel;
}

}  // namespace

namespace {

// ChassisType values of things inside a node or beside it (DMTF Chassis schema): never the node.
bool is_device_inside(const std::string& chassis_type) {
  // Drawer and Shelf are "system chassis" in the schema: they may be the node.
  static constexpr std::string_view kDevices[] = {"Card",         "Module",           "Component",
                                                  "IPBasedDrive", "StorageEnclosure", "PowerStrip",
                                                  "Sidecar",      "HeatExchanger",    "Expansion"};
  return std::find(std::begin(kDevices), std::end(kDevices), chassis_type) != std::end(kDevices);
}

}  // namespace

Choice choose(std::span<const Candidate> candidates, std::string_view wanted) {
  if (wanted != "auto") {
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      if (candidates[i].chassis_id == wanted) return {i, {}};
    }
    return {};
  }
  std::vector<std::size_t> nodes;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (!is_device_inside(candidates[i].chassis_type)) nodes.push_back(i);
  }
  std::vector<std::size_t> servers;
  for (std::size_t i : nodes) {
    if (!candidates[i].houses_computer_system) continue;
    // A chassis inside another server chassis is a part of it, whatever it links to.
    const bool inside_a_server = std::any_of(nodes.begin(), nodes.end(), [&](std::size_t j) {
      return candidates[j].houses_computer_system &&
             candidates[j].chassis_id == candidates[i].contained_by;
    });
    if (!inside_a_server) servers.push_back(i);
  }
  const std::vector<std::size_t>& pool = servers.empty() ? nodes : servers;
  if (pool.size() == 1) return {pool.front(), {}};
  if (pool.empty() && !candidates.empty()) {
    std::vector<std::string> devices;
    for (const auto& c : candidates) devices.push_back(c.chassis_id + " (" + c.chassis_type + ")");
    return {std::nullopt,
            fmt::format("only devices inside a node are metered: {}", joined(devices, ", "))};
  }
  if (pool.empty()) return {};
  std::vector<std::string> ids;
  for (std::size_t i : pool) ids.push_back(candidates[i].chassis_id);
  return {std::nullopt,
          fmt::format("{} chassis could each be this node ({}){}", pool.size(), joined(ids, ", "),
                      servers.empty() ? ", and none houses a computer system"
                                      : ", each housing a computer system")};
}

Result<Discovery> discover(Client& client, const std::string& wanted) {
  Discovery discovery;
  auto root_body = client.get_service_root();
  if (!root_body) return std::unexpected(root_body.error());
  auto root = parse_service_root(*root_body);
  if (!root) {
    return make_error(ErrorKind::kInvalidData, fmt::format("{} at {}", root.error().message,
                                                           client.url_for("/redfish/v1/")));
  }
  client.set_sessions_path(root->sessions_path);

  auto collection_body = client.get(root->chassis_path);
  if (!collection_body) return std::unexpected(collection_body.error());
  auto first_page = parse_collection_page(*collection_body);
  if (!first_page) {
    return make_error(ErrorKind::kInvalidData, fmt::format("{} at {}", first_page.error().message,
                                                           client.url_for(root->chassis_path)));
  }
  auto members = std::optional<std::vector<std::string>>(std::move(first_page->members));
  if (!first_page->next_link.empty()) {
    auto more = fetch_members(client, first_page->next_link, discovery.problems);
    if (!more) return std::unexpected(more.error());
    if (*more) members->insert(members->end(), (*more)->begin(), (*more)->end());
  }
  for (const auto& path : *members) discovery.chassis_ids.push_back(last_segment(path));

  for (std::size_t i = 0; i < members->size() && i < kMaxChassis; ++i) {
    const std::string& path = (*members)[i];
    if (wanted != "auto" && discovery.chassis_ids[i] != wanted) continue;
    auto body = fetch_part(client, path, discovery.problems);
    if (!body) return std::unexpected(body.error());
    if (!*body) continue;
    auto chassis = parsed_or_note(parse_chassis(**body), client, path, discovery.problems);
    if (!chassis) continue;
    // The collection's path is the id the user sees and configures; the resource's Id should
    // be the same and is the fallback.
    chassis->id = discovery.chassis_ids[i].empty() ? chassis->id : discovery.chassis_ids[i];
    auto found = examine_chassis(client, *chassis, discovery.problems);
    if (!found) return std::unexpected(found.error());
    if (!*found) {
      discovery.problems.push_back(
          fmt::format("chassis {} has no EnergyJoules, EnergykWh, PowerWatts or "
                      "PowerConsumedWatts reading",
                      chassis->id));
      continue;
    }
    Candidate& candidate = **found;
    candidate.chassis_id = chassis->id;
    candidate.chassis_name = chassis->name;
    candidate.houses_computer_system = chassis->houses_computer_system;
    candidate.chassis_type = chassis->chassis_type;
    candidate.contained_by = last_segment(chassis->contained_by);
    for (auto& alternative : candidate.alternatives) {
      alternative.chassis_id = chassis->id;
      alternative.chassis_name = chassis->name;
    }
    discovery.candidates.push_back(std::move(candidate));
  }
  if (members->size() > kMaxChassis) {
    discovery.problems.push_back(
        fmt::format("the BMC lists {} chassis; only the first {} were "
                    "examined (set \"chassis\" to pick one)",
                    members->size(), kMaxChassis));
  }
  return discovery;
}

RedfishSensor::RedfishSensor(std::unique_ptr<Client> client, std::vector<RedfishSource> sources,
                             double interval_s)
    : client_(std::move(client)), sources_(std::move(sources)), interval_s_(interval_s) {
  for (const auto& source : sources_) channels_.push_back(source.channel);
}

void RedfishSensor::read(std::span<Reading> out) {
  for (auto& reading : out) {
    reading.raw = 0;
    reading.status = Reading::Status::kUnavailable;
  }
  if (refused_) {
    // Asking again with credentials the BMC refused would lock the account or the address out.
    for (auto& reading : out) {
      reading.t_ns = monotonic_ns();
      reading.half_width_ns = 0;
      reading.status = Reading::Status::kLost;
    }
    return;
  }
  try {
    read_all(out);
  } catch (const std::exception& e) {
    for (auto& reading : out) reading.t_ns = monotonic_ns();
    last_error_ = e.what();
  }
}

void RedfishSensor::read_all(std::span<Reading> out) {
  // Sources on one resource (EnergykWh and PowerWatts of one EnvironmentMetrics) share a request.
  std::vector<bool> done(sources_.size(), false);
  for (std::size_t i = 0; i < sources_.size() && i < out.size(); ++i) {
    if (done[i]) continue;
    const std::int64_t before = monotonic_ns();
    const auto body = client_->get(sources_[i].read_path);
    const std::int64_t after = monotonic_ns();
    for (std::size_t j = i; j < sources_.size() && j < out.size(); ++j) {
      if (done[j] || sources_[j].read_path != sources_[i].read_path) continue;
      done[j] = true;
      out[j].half_width_ns = (after - before) / 2;
      out[j].t_ns = before + out[j].half_width_ns;
      read_one(j, body, out[j]);
    }
    if (refused_) return;
  }
}

void RedfishSensor::read_one(std::size_t i, const Result<std::string>& body, Reading& reading) {
  const RedfishSource& source = sources_[i];
  if (!body) {
    last_error_ = body.error().message;
    if (body.error().kind != ErrorKind::kPermissionDenied) {
      auth_refusals_ = 0;
    } else if (i == 0 && ++auth_refusals_ >= kMaxAuthRefusals) {
      refused_ = true;
      reading.status = Reading::Status::kLost;
      last_error_ += " (refused " + std::to_string(auth_refusals_) +
                     " times in a row: not asked again during this run)";
    }
    return;
  }
  auth_refusals_ = 0;
  auto value = extract_value(*body, source.locator);
  if (!value) {
    last_error_ =
        fmt::format("{} at {}", value.error().message, client_->url_for(source.read_path));
    return;
  }
  auto raw = to_raw(*value, source.locator.kind);
  if (!raw) {
    last_error_ = fmt::format("{} {}: {}", client_->url_for(source.read_path),
                              describe(source.locator), raw.error().message);
    return;
  }
  last_error_.clear();
  reading.raw = *raw;
  reading.status = Reading::Status::kOk;
}

}  // namespace jt::redfish

namespace jt {

ProbeOutcome probe_redfish(const ProbeContext& context) {
  using namespace redfish;
  ProbeOutcome outcome;
  const auto path = config_path(context);
  if (!path) {
    outcome.reports.push_back(
        report(ProbeReport::Status::kAbsent, "no Redfish BMC configured",
               "to read the node's meter through its BMC, give --redfish-config FILE or set "
               "JOULETRACE_REDFISH_CONFIG (format: docs/backends/redfish.md)"));
    return outcome;
  }
  auto config = load_config(*path);
  if (!config) {
    const bool denied = config.error().kind == ErrorKind::kPermissionDenied;
    outcome.reports.push_back(
        report(denied ? ProbeReport::Status::kPermissionDenied : ProbeReport::Status::kError,
               config.error().message, config.error().hint));
    return outcome;
  }

  std::vector<std::string> warnings;
  if (config->url.starts_with("http://")) {
    warnings.push_back("plain HTTP: credentials and readings travel unencrypted");
  } else if (!config->verify_tls) {
    warnings.push_back("TLS verification is off (verify_tls: false): the BMC is not authenticated");
  }

  auto client = Client::create(*config);
  if (!client) {
    outcome.reports.push_back(failure_report(client.error(), *config));
    return outcome;
  }
  auto discovery = discover(**client, config->chassis);
  if (!discovery) {
    outcome.reports.push_back(failure_report(discovery.error(), *config));
    return outcome;
  }
  const std::string file = config->source.string();
  const std::string problems = discovery->problems.empty()
                                   ? std::string()
                                   : " (problems: " + joined(discovery->problems, "; ") + ")";
  if (discovery->chassis_ids.empty()) {
    outcome.reports.push_back(
        report(ProbeReport::Status::kError,
               fmt::format("the BMC at {} lists no chassis in its Chassis collection", config->url),
               "check that the BMC's Redfish service is fully started and that the account may see "
               "Chassis"));
    return outcome;
  }
  if (config->chassis != "auto" &&
      std::find(discovery->chassis_ids.begin(), discovery->chassis_ids.end(), config->chassis) ==
          discovery->chassis_ids.end()) {
    outcome.reports.push_back(report(
        ProbeReport::Status::kError,
        fmt::format("chassis \"{}\" (from {}) is not in the BMC's Chassis collection, which has: "
                    "{}",
                    config->chassis, file, joined(discovery->chassis_ids, ", ", 10)),
        fmt::format("set \"chassis\" in {} to one of those ids, or to \"auto\"", file)));
    return outcome;
  }
  const auto chosen = choose(discovery->candidates, config->chassis);
  if (!chosen.index && !chosen.ambiguity.empty()) {
    outcome.reports.push_back(report(
        ProbeReport::Status::kError,
        fmt::format("the BMC at {} meters more than one chassis and jouletrace cannot tell which "
                    "is this node: {}",
                    config->url, chosen.ambiguity),
        fmt::format("set \"chassis\" in {} to the id of this node's chassis", file)));
    return outcome;
  }
  if (!chosen.index) {
    outcome.reports.push_back(report(
        ProbeReport::Status::kError,
        fmt::format("no power or energy reading on the BMC at {}: looked in {} for "
                    "EnvironmentMetrics EnergyJoules/EnergykWh/PowerWatts, Sensors of "
                    "ReadingType EnergyJoules/EnergykWh and Power PowerConsumedWatts{}",
                    config->url,
                    config->chassis == "auto" ? "chassis " + joined(discovery->chassis_ids, ", ")
                                              : "chassis " + config->chassis,
                    problems),
        "this BMC exposes no node meter over Redfish; try IPMI DCMI or a PDU"));
    return outcome;
  }

  const Candidate& meter = discovery->candidates[*chosen.index];
  std::vector<RedfishSource> sources;
  sources.push_back({make_channel(meter, **client, warnings), meter.locator, meter.read_path});
  for (const auto& alternative : meter.alternatives) {
    ChannelInfo channel = make_channel(alternative, **client, warnings);
    channel.same_meter_as = channel.id;
    channel.id += "/power";
    channel.note =
        "read beside the coarse energy reading of the same chassis; the run takes "
        "whichever is more precise. " +
        channel.note;
    sources.push_back({std::move(channel), alternative.locator, alternative.read_path});
  }
  std::vector<std::string> others;
  for (std::size_t i = 0; i < discovery->candidates.size(); ++i) {
    if (i == *chosen.index) continue;
    const Candidate& other = discovery->candidates[i];
    others.push_back(fmt::format("{} ({})", other.chassis_id, to_string(other.locator.kind)));
  }
  const ChannelInfo& channel = sources.front().channel;
  std::string detail = fmt::format(
      "chassis {} \"{}\": {} {} at {}, polled every {:g} s ({} auth{})", meter.chassis_id,
      meter.chassis_name, is_energy(meter.locator.kind) ? "energy counter" : "power",
      to_string(meter.locator.kind), channel.provenance, config->interval_s,
      to_string(config->auth),
      meter.sensor_reset_time.empty() ? std::string()
                                      : ", sensor reset " + meter.sensor_reset_time);
  for (const auto& alternative : meter.alternatives) {
    detail += fmt::format("; also {} beside it", to_string(alternative.locator.kind));
  }
  if (!others.empty()) {
    detail += fmt::format("; also metered: {} (set \"chassis\" in {} to choose)",
                          joined(others, ", "), file);
  }
  for (const auto& w : warnings) detail += "; warning: " + w;
  outcome.reports.push_back(report(ProbeReport::Status::kPresent, std::move(detail)));
  outcome.sensors.push_back(
      std::make_unique<RedfishSensor>(std::move(*client), std::move(sources), config->interval_s));
  return outcome;
}

}  // namespace jt
