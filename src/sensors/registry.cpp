// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/registry.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <string>

#include "sensors/agent/agent_sensor.hpp"
#include "sensors/backends.hpp"

namespace jt {

namespace {

constexpr std::array<std::string_view, 1> kSysfsOptions{"--sysfs-root"};
constexpr std::array<std::string_view, 2> kMsrOptions{"--dev-root", "--sysfs-root"};
constexpr std::array<std::string_view, 1> kNvmlOptions{"--nvml-library"};
constexpr std::array<std::string_view, 1> kAmdSmiOptions{"--amd-smi-library"};
constexpr std::array<std::string_view, 1> kRocmSmiOptions{"--rocm-smi-library"};
constexpr std::array<std::string_view, 1> kLevelZeroOptions{"--level-zero-library"};
constexpr std::array<std::string_view, 1> kSupersededByPowercap{"msr"};
constexpr std::array<std::string_view, 2> kAgentOptions{"--agent", "--no-agent"};

constexpr std::array kLocalBackends{
    Backend{"powercap", "powercap RAPL", BackendGroup::kLocal, ReadLane::kFast, kSysfsOptions,
            kSupersededByPowercap, &probe_powercap},
    Backend{"msr", "RAPL MSRs", BackendGroup::kLocal, ReadLane::kFast, kMsrOptions, {}, &probe_msr},
    Backend{"nvml", "NVML", BackendGroup::kLocal, ReadLane::kFast, kNvmlOptions, {}, &probe_nvml},
    // Before hwmon: an amdgpu or xe hwmon device of a GPU these read is the same GPU again.
    // AMD SMI before ROCm SMI: ROCm SMI reads only the AMD GPUs AMD SMI could not.
    Backend{"amd_smi",
            "AMD SMI",
            BackendGroup::kLocal,
            ReadLane::kFast,
            kAmdSmiOptions,
            {},
            &probe_amd_smi},
    Backend{"rocm_smi",
            "ROCm SMI",
            BackendGroup::kLocal,
            ReadLane::kFast,
            kRocmSmiOptions,
            {},
            &probe_rocm_smi},
    Backend{"level_zero",
            "Level Zero Sysman",
            BackendGroup::kLocal,
            ReadLane::kFast,
            kLevelZeroOptions,
            {},
            &probe_level_zero},
    Backend{
        "hwmon", "hwmon", BackendGroup::kLocal, ReadLane::kFast, kSysfsOptions, {}, &probe_hwmon},
    // Last: it serves only what no backend before it could read (ProbeContext::earlier_channels).
    Backend{"agent",
            "jouletrace agent",
            BackendGroup::kLocal,
            ReadLane::kOwnThread,
            kAgentOptions,
            {},
            &probe_agent},
};

void append(ProbeOutcome& into, ProbeOutcome&& from) {
  for (auto& s : from.sensors) into.sensors.push_back(std::move(s));
  for (auto& r : from.reports) into.reports.push_back(std::move(r));
}

bool has_cpu_energy(const ProbeOutcome& outcome) {
  for (const auto& sensor : outcome.sensors) {
    for (const auto& info : sensor->channels()) {
      if (info.domain == Domain::kPackage || info.domain == Domain::kPsys) return true;
    }
  }
  return false;
}

std::vector<ChannelInfo> channels_of(const ProbeOutcome& outcome) {
  std::vector<ChannelInfo> channels;
  for (const auto& sensor : outcome.sensors) {
    channels.insert(channels.end(), sensor->channels().begin(), sensor->channels().end());
  }
  return channels;
}

// A probe must not throw (probes report), but one that does must not take the others with it.
ProbeOutcome probe_guarded(const Backend& backend, const ProbeContext& context) {
  try {
    return backend.probe(context);
  } catch (const std::exception& e) {
    ProbeOutcome failed;
    failed.reports.push_back({std::string(backend.name),
                              ProbeReport::Status::kError,
                              std::string("the probe failed: ") + e.what(),
                              {}});
    return failed;
  } catch (...) {
    ProbeOutcome failed;
    failed.reports.push_back({std::string(backend.name),
                              ProbeReport::Status::kError,
                              "the probe failed with an unknown exception",
                              {}});
    return failed;
  }
}

// The one report for every BMC backend skipped by --no-bmc: "Redfish and IPMI DCMI".
ProbeReport bmc_not_probed(std::span<const Backend> backends) {
  std::vector<std::string_view> titles;
  for (const auto& backend : backends) {
    if (backend.group == BackendGroup::kBmc) titles.push_back(backend.title);
  }
  std::string names;
  for (std::size_t i = 0; i < titles.size(); ++i) {
    if (i > 0) names += i + 1 == titles.size() ? " and " : ", ";
    names += titles[i];
  }
  return {"bmc", ProbeReport::Status::kNotUsed, names + " not probed (--no-bmc)", {}};
}

std::string superseder_of(std::string_view name, std::span<const Backend> backends,
                          const std::vector<std::string_view>& found_cpu_energy) {
  for (const auto& backend : backends) {
    const bool supersedes = std::ranges::find(backend.supersedes, name) != backend.supersedes.end();
    if (supersedes && std::ranges::find(found_cpu_energy, backend.name) != found_cpu_energy.end()) {
      return std::string(backend.title);
    }
  }
  return {};
}

// A backend this process may not read whose channels the agent serves is not a problem to fix:
// its report says where the figures come from instead.
void settle_reports_served_by_agent(ProbeOutcome& outcome) {
  std::vector<std::string> served;
  for (const auto& sensor : outcome.sensors) {
    if (sensor->backend() != "agent") continue;
    for (const auto& info : sensor->channels()) served.push_back(info.id);
  }
  for (auto& report : outcome.reports) {
    if (report.status != ProbeReport::Status::kPermissionDenied) continue;
    const std::string prefix = report.backend + "/";
    if (std::ranges::none_of(served,
                             [&](const std::string& id) { return id.starts_with(prefix); })) {
      continue;
    }
    report.status = ProbeReport::Status::kNotUsed;
    report.detail += "; the node agent serves these channels instead";
    report.hint.clear();
  }
}

}  // namespace

std::span<const Backend> local_backends() { return kLocalBackends; }

ProbeOutcome probe_all(const ProbeContext& context, std::span<const Backend> backends) {
  ProbeContext ctx = context;
  ProbeOutcome outcome;
  std::vector<std::string_view> found_cpu_energy;
  bool bmc_reported = false;
  for (const auto& backend : backends) {
    if (backend.group == BackendGroup::kBmc && !ctx.probe_bmc) {
      if (!bmc_reported) outcome.reports.push_back(bmc_not_probed(backends));
      bmc_reported = true;
      continue;
    }
    if (const auto by = superseder_of(backend.name, backends, found_cpu_energy); !by.empty()) {
      outcome.reports.push_back({std::string(backend.name),
                                 ProbeReport::Status::kNotUsed,
                                 by + " is readable and holds the same counters",
                                 {}});
      continue;
    }
    ctx.rapl_found = has_cpu_energy(outcome);
    ctx.earlier_channels = channels_of(outcome);
    ProbeOutcome found = probe_guarded(backend, ctx);
    if (has_cpu_energy(found)) found_cpu_energy.push_back(backend.name);
    append(outcome, std::move(found));
  }
  settle_reports_served_by_agent(outcome);
  return outcome;
}

}  // namespace jt
