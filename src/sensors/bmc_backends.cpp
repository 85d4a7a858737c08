// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/bmc_backends.hpp"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <vector>

#ifdef JOULETRACE_HAVE_REDFISH
#include "sensors/redfish/redfish_config.hpp"
#endif

namespace jt {

namespace {

constexpr std::array<std::string_view, 2> kRedfishOptions{"--redfish-config", "--no-bmc"};
constexpr std::array<std::string_view, 2> kDcmiOptions{"--dev-root", "--no-bmc"};

#ifdef JOULETRACE_HAVE_REDFISH
Result<void> check_redfish_options(const ProbeContext& context) {
  if (context.redfish_config.empty()) return {};
  if (auto config = redfish::load_config(context.redfish_config); !config) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("--redfish-config {}: {}", context.redfish_config.string(),
                                  config.error().message),
                      config.error().hint);
  }
  return {};
}
#endif

// A build without a BMC backend still answers for it, in every probe listing.
[[maybe_unused]] ProbeOutcome not_built(const char* backend, const char* option, const char* fix) {
  ProbeOutcome outcome;
  outcome.reports.push_back({backend, ProbeReport::Status::kNotUsed,
                             fmt::format("not in this build (configured with -D{}=OFF)", option),
                             fix});
  return outcome;
}

#ifndef JOULETRACE_HAVE_REDFISH
constexpr const char* kRedfishFix = "rebuild with libcurl and -DJOULETRACE_WITH_REDFISH=ON";

ProbeOutcome redfish_not_built(const ProbeContext& /*context*/) {
  return not_built("redfish", "JOULETRACE_WITH_REDFISH", kRedfishFix);
}

// A config that names a BMC this build cannot read is an error, not a silent skip.
Result<void> check_redfish_options(const ProbeContext& context) {
  if (context.redfish_config.empty()) return {};
  return make_error(ErrorKind::kInvalidData,
                    "--redfish-config: this jouletrace was built without Redfish "
                    "(-DJOULETRACE_WITH_REDFISH=OFF)",
                    kRedfishFix);
}
#endif

#ifndef JOULETRACE_HAVE_IPMI
ProbeOutcome dcmi_not_built(const ProbeContext& /*context*/) {
  return not_built("ipmi-dcmi", "JOULETRACE_WITH_IPMI", "rebuild with -DJOULETRACE_WITH_IPMI=ON");
}
#endif

#ifdef JOULETRACE_HAVE_REDFISH
constexpr auto kRedfishProbe = &probe_redfish;
#else
constexpr auto kRedfishProbe = &redfish_not_built;
#endif
#ifdef JOULETRACE_HAVE_IPMI
constexpr auto kDcmiProbe = &probe_dcmi;
#else
constexpr auto kDcmiProbe = &dcmi_not_built;
#endif

// Each BMC meter is polled in a thread of its own: one slow answer must not delay the others.
constexpr std::array kBmcBackends{
    Backend{"redfish",
            "Redfish",
            BackendGroup::kBmc,
            ReadLane::kOwnThread,
            kRedfishOptions,
            {},
            kRedfishProbe,
            &check_redfish_options},
    Backend{"ipmi-dcmi",
            "IPMI DCMI",
            BackendGroup::kBmc,
            ReadLane::kOwnThread,
            kDcmiOptions,
            {},
            kDcmiProbe},
};

// The agent stays last: it fills in what neither the node's own backends nor the BMC gave.
std::vector<Backend> concatenated() {
  std::vector<Backend> all;
  std::optional<Backend> agent;
  for (const Backend& backend : local_backends()) {
    if (backend.name == "agent") {
      agent = backend;
    } else {
      all.push_back(backend);
    }
  }
  all.insert(all.end(), kBmcBackends.begin(), kBmcBackends.end());
  if (agent) all.push_back(*agent);
  return all;
}

}  // namespace

std::span<const Backend> node_backends() {
  static const std::vector<Backend> all = concatenated();
  return all;
}

Result<void> check_backend_options(const ProbeContext& context) {
  for (const auto& backend : node_backends()) {
    if (backend.check_options == nullptr) continue;
    if (auto ok = backend.check_options(context); !ok) return ok;
  }
  return {};
}

}  // namespace jt
