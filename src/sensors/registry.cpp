#include "sensors/registry.hpp"

#include <algorithm>

#include "sensors/backends.hpp"

namespace jt {

namespace {

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

}  // namespace

ProbeOutcome probe_all(const ProbeContext& context) {
  ProbeContext ctx = context;
  ProbeOutcome outcome;

  // The order is the preference: powercap is the kernel's own interface; the MSRs are read
  // only when it gave nothing, since both would count the same packages.
  append(outcome, probe_powercap(ctx));
  if (has_cpu_energy(outcome)) {
    outcome.reports.push_back({"msr",
                               ProbeReport::Status::kNotUsed,
                               "powercap RAPL is readable; the MSRs hold the same counters",
                               {}});
  } else {
    append(outcome, probe_msr(ctx));
  }
  ctx.rapl_found = has_cpu_energy(outcome);
  // NVML before hwmon: a Grace Hopper module meter or an APU in hwmon names what it contains of
  // what came before (ProbeContext::earlier_channels).
  append(outcome, probe_nvml(ctx));
  ctx.earlier_channels = channels_of(outcome);
  append(outcome, probe_hwmon(ctx));
  if (ctx.probe_bmc) {
    append(outcome, probe_redfish(ctx));
    append(outcome, probe_dcmi(ctx));
  } else {
    outcome.reports.push_back(
        {"bmc", ProbeReport::Status::kNotUsed, "Redfish and IPMI DCMI not probed (--no-bmc)", {}});
  }
  return outcome;
}

}  // namespace jt
