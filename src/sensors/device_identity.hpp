// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jt {

// Who made the device a channel measures. kUnknown where the backend cannot tell (a BMC's node
// meter, an ACPI power meter) rather than a guess.
enum class Vendor { kUnknown, kIntel, kAmd, kHygon, kNvidia };

// What kind of device it is; a channel's Domain says which part of it is measured (a GPU's
// memory rail is domain gpu_memory of a device of kind gpu).
enum class HardwareKind { kUnknown, kCpu, kMemory, kGpu, kModule, kNode };

const char* to_string(Vendor vendor);
const char* to_string(HardwareKind kind);

// The typed identity of the device behind a channel, so that the ledger matches devices by
// field (a job's visible GPUs) or by channel id, never by parsing the text of an id or a label.
struct DeviceIdentity {
  Vendor vendor = Vendor::kUnknown;
  HardwareKind kind = HardwareKind::kUnknown;
  // The socket (CPUs, their memory, a module) or the vendor's device ordinal (GPUs, numbered
  // as the vendor's tools number them, e.g. nvidia-smi).
  int index = 0;
  std::string uuid;    // the vendor's stable id ("GPU-<hex>" for NVIDIA); empty when none
  std::string bus_id;  // PCI address as sysfs names it ("0009:01:00.0"); empty when none
  // The power the device is rated or limited to, where the backend itself reads one, with where
  // it comes from ("NVML enforced power limit"). Rated powers from the data file are the
  // ledger's (docs/TDP.md).
  std::optional<double> rated_power_w;
  std::string rated_power_source;
};

}  // namespace jt
