// SPDX-License-Identifier: BSD-3-Clause
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "arguments.hpp"
#include "report/run_report.hpp"
#include "sensors/bmc_backends.hpp"
#include "verbs.hpp"

namespace jt::cli {

namespace {

// `sensors --json` (schemas/sensors.schema.json).
constexpr const char* kSensorsSchema = "jouletrace.sensors";
constexpr int kSensorsSchemaVersion = 1;

nlohmann::json known(double positive) {
  return positive > 0.0 ? nlohmann::json(positive) : nlohmann::json(nullptr);
}

}  // namespace

std::optional<ProbeOutcome> probe_node(const ProbeContext& context, const char* verb) {
  if (auto ok = check_backend_options(context); !ok) {
    fmt::print(stderr, "jouletrace {}: {}\n", verb, ok.error().message);
    if (!ok.error().hint.empty()) fmt::print(stderr, "  fix: {}\n", ok.error().hint);
    return std::nullopt;
  }
  return probe_all(context, node_backends());
}

int sensors_verb(const SensorsOptions& options) {
  auto probed = probe_node(options.probe, "sensors");
  if (!probed) return kExitOwnFailure;
  const ProbeOutcome& probe = *probed;
  if (options.json) {
    nlohmann::json channels = nlohmann::json::array();
    for (const auto& sensor : probe.sensors) {
      for (const auto& c : sensor->channels()) {
        channels.push_back({{"id", c.id},
                            {"backend", sensor->backend()},
                            {"domain", to_string(c.domain)},
                            {"index", c.identity.index},
                            {"device", c.device},
                            {"identity", to_json(c.identity)},
                            // What the device measures; the agent relays it as energy.
                            {"quantity", to_string(c.measured_as.value_or(c.quantity))},
                            {"raw_unit", c.raw_unit},
                            {"scale", c.scale},
                            {"wrap_modulus", c.wrap_modulus},
                            // 0 in ChannelInfo means unknown: null here, never a 0 that
                            // reads as measured.
                            {"update_period_s", known(c.update_period_s)},
                            {"max_power_w", known(c.max_power_w)},
                            {"provenance", c.provenance},
                            {"contains", c.contains},
                            {"note", c.note}});
      }
    }
    nlohmann::json reports = nlohmann::json::array();
    for (const auto& r : probe.reports) {
      reports.push_back({{"backend", r.backend},
                         {"status", to_string(r.status)},
                         {"detail", r.detail},
                         {"hint", r.hint}});
    }
    const nlohmann::json listing = {{"schema", kSensorsSchema},
                                    {"version", kSensorsSchemaVersion},
                                    {"channels", std::move(channels)},
                                    {"probes", std::move(reports)}};
    fmt::print("{}\n", listing.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    return 0;
  }

  std::size_t id_width = 2;
  std::size_t device_width = 6;
  std::size_t count = 0;
  for (const auto& sensor : probe.sensors) {
    for (const auto& c : sensor->channels()) {
      id_width = std::max(id_width, c.id.size());
      device_width = std::max(device_width, c.device.size());
      ++count;
    }
  }
  if (count == 0) {
    fmt::print("No energy or power sensor found.\n");
  } else {
    fmt::print("{:<{}}  {:<7}  {:<{}}  {:<19}  {:<7}  {:>8}  {}\n", "id", id_width, "domain",
               "device", device_width, "quantity", "unit", "update", "provenance");
    for (const auto& sensor : probe.sensors) {
      for (const auto& c : sensor->channels()) {
        const std::string update =
            c.update_period_s > 0 ? fmt::format("{:g} s", c.update_period_s) : "?";
        fmt::print("{:<{}}  {:<7}  {:<{}}  {:<19}  {:<7}  {:>8}  {}\n", c.id, id_width,
                   to_string(c.domain), c.device, device_width,
                   to_string(c.measured_as.value_or(c.quantity)),
                   c.quantity == Quantity::kEnergyCounter ? "J" : "W", update, c.provenance);
        if (!c.note.empty()) fmt::print("    note: {}\n", c.note);
      }
    }
  }
  fmt::print("\nProbes:\n");
  for (const auto& r : probe.reports) {
    // 10: the longest backend name, level_zero
    fmt::print("  {:<10} {:<17} {}\n", r.backend, to_string(r.status), r.detail);
    if (!r.hint.empty()) fmt::print("  {:<10} {:<17} fix: {}\n", "", "", r.hint);
  }
  return 0;
}

}  // namespace jt::cli
