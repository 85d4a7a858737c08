#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sensors/registry.hpp"
#include "verbs.hpp"

namespace jt::cli {

int sensors_verb(const SensorsOptions& options) {
  const ProbeOutcome probe = probe_all(options.probe);
  if (options.json) {
    nlohmann::json channels = nlohmann::json::array();
    for (const auto& sensor : probe.sensors) {
      for (const auto& c : sensor->channels()) {
        channels.push_back({{"id", c.id},
                            {"backend", sensor->backend()},
                            {"domain", to_string(c.domain)},
                            {"index", c.index},
                            {"device", c.device},
                            {"quantity", to_string(c.quantity)},
                            {"raw_unit", c.raw_unit},
                            {"scale", c.scale},
                            {"wrap_modulus", c.wrap_modulus},
                            {"update_period_s", c.update_period_s},
                            {"max_power_w", c.max_power_w},
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
    fmt::print("{}\n", nlohmann::json{{"channels", channels}, {"probes", reports}}.dump(
                           2, ' ', false, nlohmann::json::error_handler_t::replace));
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
                   to_string(c.domain), c.device, device_width, to_string(c.quantity),
                   c.quantity == Quantity::kEnergyCounter ? "J" : "W", update, c.provenance);
        if (!c.note.empty()) fmt::print("    note: {}\n", c.note);
      }
    }
  }
  fmt::print("\nProbes:\n");
  for (const auto& r : probe.reports) {
    fmt::print("  {:<9} {:<17} {}\n", r.backend, to_string(r.status), r.detail);
    if (!r.hint.empty()) fmt::print("  {:<9} {:<17} fix: {}\n", "", "", r.hint);
  }
  return 0;
}

}  // namespace jt::cli
