// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/sensor.hpp"

#include <array>
#include <utility>

namespace jt {

namespace {
constexpr std::array<std::pair<Domain, const char*>, 11> kDomainNames{{
    {Domain::kPackage, "package"},
    {Domain::kCore, "core"},
    {Domain::kUncore, "uncore"},
    {Domain::kDram, "dram"},
    {Domain::kPsys, "psys"},
    {Domain::kGpu, "gpu"},
    {Domain::kGpuMemory, "gpu-memory"},
    {Domain::kModule, "module"},
    {Domain::kNode, "node"},
    {Domain::kPsu, "psu"},
    {Domain::kOther, "other"},
}};
}  // namespace

const char* to_string(Domain domain) {
  for (const auto& [d, name] : kDomainNames) {
    if (d == domain) return name;
  }
  return "other";
}

std::optional<Domain> domain_from_string(std::string_view name) {
  for (const auto& [d, n] : kDomainNames) {
    if (name == n) return d;
  }
  return std::nullopt;
}

const char* to_string(Quantity quantity) {
  switch (quantity) {
    case Quantity::kEnergyCounter: return "energy counter";
    case Quantity::kInstantPower: return "instantaneous power";
    case Quantity::kAveragePower: return "averaged power";
  }
  return "unknown";
}

const char* to_string(Vendor vendor) {
  switch (vendor) {
    case Vendor::kUnknown: return "unknown";
    case Vendor::kIntel: return "intel";
    case Vendor::kAmd: return "amd";
    case Vendor::kNvidia: return "nvidia";
    case Vendor::kHygon: return "hygon";
  }
  return "unknown";
}

const char* to_string(HardwareKind kind) {
  switch (kind) {
    case HardwareKind::kUnknown: return "unknown";
    case HardwareKind::kCpu: return "cpu";
    case HardwareKind::kMemory: return "memory";
    case HardwareKind::kGpu: return "gpu";
    case HardwareKind::kModule: return "module";
    case HardwareKind::kNode: return "node";
  }
  return "unknown";
}

DeviceIdentity identity_of(Domain domain, int index, Vendor vendor) {
  DeviceIdentity identity;
  identity.vendor = vendor;
  identity.index = index;
  switch (domain) {
    case Domain::kPackage:
    case Domain::kCore:
    case Domain::kUncore:
    case Domain::kPsys: identity.kind = HardwareKind::kCpu; break;
    case Domain::kDram: identity.kind = HardwareKind::kMemory; break;
    case Domain::kGpu:
    case Domain::kGpuMemory: identity.kind = HardwareKind::kGpu; break;
    case Domain::kModule: identity.kind = HardwareKind::kModule; break;
    case Domain::kNode:
    case Domain::kPsu: identity.kind = HardwareKind::kNode; break;
    case Domain::kOther: identity.kind = HardwareKind::kUnknown; break;
  }
  return identity;
}

const char* to_string(ProbeReport::Status status) {
  switch (status) {
    case ProbeReport::Status::kPresent: return "present";
    case ProbeReport::Status::kAbsent: return "absent";
    case ProbeReport::Status::kPermissionDenied: return "permission denied";
    case ProbeReport::Status::kError: return "error";
    case ProbeReport::Status::kNotUsed: return "not used";
  }
  return "unknown";
}

ProbeReport probe_report(std::string_view backend, const Error& error) {
  ProbeReport::Status status = ProbeReport::Status::kError;
  if (error.kind == ErrorKind::kNotFound) status = ProbeReport::Status::kAbsent;
  if (error.kind == ErrorKind::kPermissionDenied) status = ProbeReport::Status::kPermissionDenied;
  return ProbeReport{std::string(backend), status, error.message, error.hint};
}

}  // namespace jt
