// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "sensors/sensor.hpp"

namespace jt::redfish {

enum class AuthMethod { kBasic, kSession };

// What the Redfish backend needs to reach one BMC. The file holds a password, so it must be
// private to its owner (load_config refuses anything else).
struct Config {
  std::string url;  // "https://bmc.example" or with a port; no path, no user info
  std::string username;
  std::string password;
  AuthMethod auth = AuthMethod::kBasic;
  bool verify_tls = true;
  std::string ca_file;  // PEM bundle to verify the BMC with instead of the system's
  double timeout_s = kDefaultTimeoutS;
  std::string chassis = "auto";  // "auto": the discovery rule; otherwise a chassis Id
  double interval_s = kDefaultIntervalS;
  std::filesystem::path source;  // the file it came from, for messages

  // A BMC answers in 0.1-1 s per request (docs/backends/redfish.md F5); a few times that leaves
  // room for a loaded BMC without letting a dead one hold a probe for long.
  static constexpr double kDefaultTimeoutS = 5.0;
  // One HTTPS round trip plus a JSON parse takes up to about 1 s (docs/backends/redfish.md F5),
  // and BMCs refresh their power value about once a second or slower (docs/backends/ipmi.md F4,
  // docs/backends/redfish.md F6), so polling faster only loads the BMC.
  static constexpr double kDefaultIntervalS = 1.0;
};

const char* to_string(AuthMethod method);

// Parses the JSON text of a config file. Pure: no file system, no network.
Result<Config> parse_config(std::string_view text);

// Reads and parses the file after checking that only its owner, who must be the current user,
// can read or write it.
Result<Config> load_config(const std::filesystem::path& path);

// The config to use: ProbeContext::redfish_config, else $JOULETRACE_REDFISH_CONFIG, else none.
std::optional<std::filesystem::path> config_path(const ProbeContext& context);

}  // namespace jt::redfish
