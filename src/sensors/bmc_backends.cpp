#include "sensors/bmc_backends.hpp"

#include <fmt/format.h>

#include <array>
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
#else
// A build without Redfish still answers for it: in every probe listing, and as an error when a
// config names a BMC it cannot read.
ProbeOutcome redfish_not_built(const ProbeContext& /*context*/) {
  ProbeOutcome outcome;
  outcome.reports.push_back({"redfish", ProbeReport::Status::kNotUsed,
                             "not in this build (configured with -DJOULETRACE_WITH_REDFISH=OFF)",
                             "rebuild with libcurl and -DJOULETRACE_WITH_REDFISH=ON"});
  return outcome;
}

Result<void> check_redfish_options(const ProbeContext& context) {
  if (context.redfish_config.empty()) return {};
  return make_error(ErrorKind::kInvalidData,
                    "--redfish-config: this jouletrace was built without Redfish "
                    "(-DJOULETRACE_WITH_REDFISH=OFF)",
                    "rebuild with libcurl and -DJOULETRACE_WITH_REDFISH=ON");
}
#endif

#ifndef JOULETRACE_HAVE_IPMI
ProbeOutcome dcmi_not_built(const ProbeContext& /*context*/) {
  ProbeOutcome outcome;
  outcome.reports.push_back({"ipmi-dcmi", ProbeReport::Status::kNotUsed,
                             "not in this build (configured with -DJOULETRACE_WITH_IPMI=OFF)",
                             "rebuild with -DJOULETRACE_WITH_IPMI=ON"});
  return outcome;
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

std::vector<Backend> concatenated() {
  std::vector<Backend> all(local_backends().begin(), local_backends().end());
  all.insert(all.end(), kBmcBackends.begin(), kBmcBackends.end());
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
