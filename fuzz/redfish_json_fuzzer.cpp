// SPDX-License-Identifier: BSD-3-Clause
// Fuzzes the Redfish backend's parsers of what a BMC (or a config file) sends: every
// jt::redfish::parse_* function, extract_value for every source kind, to_raw, error_message,
// header_value and parse_config, all on the same bytes.
//
// Invariants:
// - nothing crashes, throws out or loops; every failure is an Error with a message;
// - every link a parser returns is an absolute path on the same host ("/..." but not "//...")
//   made of printable characters, so that it can be joined to the BMC's URL as it is;
// - a value extract_value returns is finite, and to_raw accepts it exactly when it is not
//   negative and in range, giving back the value in mJ or mW (within rounding);
// - a config parse_config accepts has an http(s) URL without path or user info, a username,
//   and timeout and interval inside their documented ranges; text that is not JSON is refused
//   by byte position only, never quoted.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "sensors/redfish/redfish_config.hpp"
#include "sensors/redfish/redfish_json.hpp"

namespace {

using namespace jt::redfish;

bool valid_link(const std::string& path) {
  if (path.empty()) return true;  // "no link"
  if (path.front() != '/' || path.starts_with("//")) return false;
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

void check_raw(double value, SourceKind kind) {
  JT_FUZZ_CHECK(std::isfinite(value));
  auto raw = to_raw(value, kind);
  if (value < 0.0) {
    JT_FUZZ_CHECK(!raw);
    return;
  }
  const double factor =
      (kind == SourceKind::kSensorEnergykWh || kind == SourceKind::kEnvironmentEnergykWh) ? 3.6e9
                                                                                          : 1e3;
  const double expected = value * factor;
  if (!raw) {
    JT_FUZZ_CHECK(!(std::round(expected) < 9.2e18));
    return;
  }
  JT_FUZZ_CHECK(std::fabs(static_cast<double>(*raw) - expected) <= 0.5 + expected * 1e-15);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  if (auto root = parse_service_root(body)) {
    JT_FUZZ_CHECK(valid_link(root->chassis_path) && !root->chassis_path.empty());
    JT_FUZZ_CHECK(valid_link(root->sessions_path) && !root->sessions_path.empty());
  } else {
    JT_FUZZ_CHECK(!root.error().message.empty());
  }
  if (auto members = parse_collection(body)) {
    for (const auto& m : *members) JT_FUZZ_CHECK(valid_link(m) && !m.empty());
  } else {
    JT_FUZZ_CHECK(!members.error().message.empty());
  }
  if (auto chassis = parse_chassis(body)) {
    JT_FUZZ_CHECK(valid_link(chassis->power_path));
    JT_FUZZ_CHECK(valid_link(chassis->environment_metrics_path));
    JT_FUZZ_CHECK(valid_link(chassis->sensors_path));
  }
  if (auto metrics = parse_environment_metrics(body)) {
    for (const auto* e : {&metrics->energy_joules, &metrics->energy_kwh, &metrics->power_watts}) {
      if (!*e) continue;
      JT_FUZZ_CHECK(valid_link((*e)->data_source_path));
      if ((*e)->reading) JT_FUZZ_CHECK(std::isfinite(*(*e)->reading));
    }
  }
  if (auto sensor = parse_sensor(body)) {
    if (sensor->accuracy_percent) JT_FUZZ_CHECK(*sensor->accuracy_percent >= 0.0);
  }
  if (auto power = parse_legacy_power(body)) {
    if (power->whole_chassis) {
      JT_FUZZ_CHECK(*power->whole_chassis < power->entries.size());
      const auto& entry = power->entries[*power->whole_chassis];
      JT_FUZZ_CHECK(entry.has_consumed || entry.average_watts.has_value());
    }
  }

  for (int k = 0; k <= static_cast<int>(SourceKind::kLegacyPowerAverageWatts); ++k) {
    for (const bool lifetime : {false, true}) {
      const ValueLocator locator{static_cast<SourceKind>(k), lifetime, size % 3};
      if (auto value = extract_value(body, locator)) {
        check_raw(*value, locator.kind);
      } else {
        JT_FUZZ_CHECK(!value.error().message.empty());
      }
    }
  }

  (void)error_message(body);
  const std::vector<std::string> lines = {std::string(body)};
  if (auto token = header_value(lines, "X-Auth-Token")) {
    JT_FUZZ_CHECK(token->size() < body.size());
  }

  if (auto config = parse_config(body)) {
    JT_FUZZ_CHECK(config->url.starts_with("https://") || config->url.starts_with("http://"));
    JT_FUZZ_CHECK(config->url.find('@') == std::string::npos);
    JT_FUZZ_CHECK(!config->username.empty());
    JT_FUZZ_CHECK(config->timeout_s > 0.0 && config->timeout_s <= 300.0);
    JT_FUZZ_CHECK(config->interval_s >= 0.1 && config->interval_s <= 3600.0);
  } else if (!nlohmann::json::accept(body)) {
    // Text that is not JSON is reported by position (or as a number beyond a double) only: the
    // parser's own message would quote the bytes near the error, which may be the password.
    JT_FUZZ_CHECK(config.error().message.starts_with("malformed JSON in the file ("));
  }
  return 0;
}
