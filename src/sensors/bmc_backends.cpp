#include "sensors/bmc_backends.hpp"

#include <fmt/format.h>

#include <array>
#include <vector>

#ifdef JOULETRACE_HAVE_REDFISH
#include "sensors/redfish/redfish_config.hpp"
#endif

namespace jt {

namespace {

#ifdef JOULETRACE_HAVE_REDFISH
constexpr std::array<std::string_view, 2> kRedfishOptions{"--redfish-config", "--no-bmc"};

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
#ifdef JOULETRACE_HAVE_IPMI
constexpr std::array<std::string_view, 2> kDcmiOptions{"--dev-root", "--no-bmc"};
#endif

// Each BMC meter is polled in a thread of its own: one slow answer must not delay the others.
constexpr std::array kBmcBackends{
#ifdef JOULETRACE_HAVE_REDFISH
    Backend{"redfish",
            "Redfish",
            BackendGroup::kBmc,
            ReadLane::kOwnThread,
            kRedfishOptions,
            {},
            &probe_redfish,
            &check_redfish_options},
#endif
#ifdef JOULETRACE_HAVE_IPMI
    Backend{"ipmi-dcmi",
            "IPMI DCMI",
            BackendGroup::kBmc,
            ReadLane::kOwnThread,
            kDcmiOptions,
            {},
            &probe_dcmi},
#endif
    Backend{},  // keeps the array valid when the build has neither; never probed
};

std::vector<Backend> concatenated() {
  std::vector<Backend> all(local_backends().begin(), local_backends().end());
  for (const auto& backend : kBmcBackends) {
    if (backend.probe != nullptr) all.push_back(backend);
  }
  return all;
}

}  // namespace

std::span<const Backend> node_backends() {
  static const std::vector<Backend> all = concatenated();
  return all;
}

Result<void> check_backend_options(const ProbeContext& context) {
#ifndef JOULETRACE_HAVE_REDFISH
  if (!context.redfish_config.empty()) {
    return make_error(ErrorKind::kInvalidData,
                      "--redfish-config: this jouletrace was built without Redfish "
                      "(JOULETRACE_WITH_REDFISH=OFF)",
                      "rebuild with libcurl and -DJOULETRACE_WITH_REDFISH=ON");
  }
#endif
  for (const auto& backend : node_backends()) {
    if (backend.check_options == nullptr) continue;
    if (auto ok = backend.check_options(context); !ok) return ok;
  }
  return {};
}

}  // namespace jt
