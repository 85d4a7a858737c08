// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/agent/agent_wire.hpp"

#include <array>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace jt::agent_wire {

namespace {

constexpr std::array kQuantities{std::pair{Quantity::kEnergyCounter, "energy-counter"},
                                 std::pair{Quantity::kInstantPower, "instant-power"},
                                 std::pair{Quantity::kAveragePower, "average-power"}};
constexpr std::array kVendors{Vendor::kUnknown, Vendor::kIntel, Vendor::kAmd, Vendor::kHygon,
                              Vendor::kNvidia};
constexpr std::array kKinds{HardwareKind::kUnknown, HardwareKind::kCpu,    HardwareKind::kMemory,
                            HardwareKind::kGpu,     HardwareKind::kModule, HardwareKind::kNode};

const char* quantity_name(Quantity q) {
  for (const auto& [quantity, name] : kQuantities) {
    if (quantity == q) return name;
  }
  return "energy-counter";
}

std::optional<Quantity> quantity_from(const std::string& name) {
  for (const auto& [quantity, n] : kQuantities) {
    if (name == n) return quantity;
  }
  return std::nullopt;
}

template <typename Enum, std::size_t N>
Enum enum_from(const std::array<Enum, N>& all, const std::string& name) {
  for (Enum e : all) {
    if (name == to_string(e)) return e;
  }
  return all.front();
}

}  // namespace

nlohmann::json channel_to_json(const ChannelInfo& c) {
  nlohmann::json identity{{"vendor", to_string(c.identity.vendor)},
                          {"kind", to_string(c.identity.kind)},
                          {"index", c.identity.index},
                          {"uuid", c.identity.uuid},
                          {"bus_id", c.identity.bus_id},
                          {"rated_power_w", nullptr},
                          {"rated_power_source", c.identity.rated_power_source}};
  if (c.identity.rated_power_w) identity["rated_power_w"] = *c.identity.rated_power_w;
  return {{"id", c.id},
          {"domain", to_string(c.domain)},
          {"device", c.device},
          {"identity", identity},
          {"quantity", quantity_name(c.measured_as.value_or(c.quantity))},
          {"update_period_s", c.update_period_s},
          {"max_power_w", c.max_power_w},
          {"provenance", c.provenance},
          {"contains", c.contains},
          {"same_meter_as", c.same_meter_as},
          {"anchors", c.anchors},
          {"note", c.note},
          {"reports_activity", c.reports_activity},
          {"calibration_error", c.calibration_error}};
}

Result<ChannelInfo> channel_from_json(const nlohmann::json& v) {
  try {
    ChannelInfo c;
    c.id = v.at("id").get<std::string>();
    const auto domain = domain_from_string(v.at("domain").get<std::string>());
    const auto quantity = quantity_from(v.at("quantity").get<std::string>());
    if (c.id.empty() || !domain || !quantity) {
      return make_error(ErrorKind::kInvalidData,
                        "the agent described a channel this client cannot read");
    }
    c.domain = *domain;
    c.measured_as = *quantity;
    c.device = v.at("device").get<std::string>();
    const auto& id = v.at("identity");
    c.identity.vendor = enum_from(kVendors, id.at("vendor").get<std::string>());
    c.identity.kind = enum_from(kKinds, id.at("kind").get<std::string>());
    c.identity.index = id.at("index").get<int>();
    c.identity.uuid = id.at("uuid").get<std::string>();
    c.identity.bus_id = id.at("bus_id").get<std::string>();
    if (!id.at("rated_power_w").is_null())
      c.identity.rated_power_w = id.at("rated_power_w").get<double>();
    c.identity.rated_power_source = id.at("rated_power_source").get<std::string>();
    c.update_period_s = v.at("update_period_s").get<double>();
    c.max_power_w = v.at("max_power_w").get<double>();
    c.provenance = v.at("provenance").get<std::string>();
    c.contains = v.at("contains").get<std::vector<std::string>>();
    c.same_meter_as = v.at("same_meter_as").get<std::string>();
    c.anchors = v.at("anchors").get<std::string>();
    c.note = v.at("note").get<std::string>();
    c.reports_activity = v.at("reports_activity").get<bool>();
    c.calibration_error = v.at("calibration_error").get<double>();
    return c;
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorKind::kInvalidData,
                      std::string("the agent's channel description is malformed: ") + e.what());
  }
}

std::string socket_path(const std::string& option) {
  if (!option.empty()) return option;
  if (const char* env = std::getenv(kSocketEnvironment); env != nullptr && *env != '\0') return env;
  return kDefaultSocket;
}

}  // namespace jt::agent_wire
