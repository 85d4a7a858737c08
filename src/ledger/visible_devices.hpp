// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/warning.hpp"
#include "sensors/device_identity.hpp"

namespace jt {

// One entry of a visibility variable such as CUDA_VISIBLE_DEVICES.
struct GpuSelector {
  enum class Kind { kIndex, kUuid, kMig };
  Kind kind = Kind::kIndex;
  int index = -1;      // kIndex: the ordinal as the vendor's tools number GPUs (nvidia-smi)
  std::string id;      // kUuid: "GPU-..." (possibly abbreviated); kMig: the whole "MIG-..." entry
  std::string parent;  // kMig in the "MIG-GPU-<uuid>/<gi>/<ci>" form: the parent's UUID
};

// The GPUs of one vendor that a job may use, from that vendor's variable.
struct GpuVisibility {
  Vendor vendor = Vendor::kUnknown;  // set by the reader from its table line
  std::string variable;
  bool all = true;  // the variable is unset: every GPU of the vendor is visible
  std::vector<GpuSelector> selected;
  std::vector<Warning> warnings;
  std::string raw;  // the variable as given, for the report
};

// Reads CUDA_VISIBLE_DEVICES as CUDA does: unset (nullopt) means every GPU, empty means none,
// and an entry that is not an index, a "GPU-" UUID (prefix) or a "MIG-" id hides itself and
// every entry after it (with a warning naming it).
GpuVisibility parse_cuda_visible_devices(std::optional<std::string_view> value);

// ROCR_VISIBLE_DEVICES: indices or "GPU-<unique id>"; HIP_VISIBLE_DEVICES: indices, within
// ROCR's list when both are set; ZE_AFFINITY_MASK: "N" or "N.M" (a tile, charged as its whole
// device). Same rules for invalid entries as CUDA's (docs/backends/amd.md, intel.md).
GpuVisibility parse_rocr_visible_devices(std::optional<std::string_view> value);
GpuVisibility parse_hip_visible_devices(std::optional<std::string_view> value);
GpuVisibility parse_ze_affinity_mask(std::optional<std::string_view> value);

// The variables through which a vendor's runtime narrows the GPUs a job sees, and their readers.
// A vendor with two (AMD) gets one visibility: the second narrows the first.
struct VisibilityVariable {
  Vendor vendor = Vendor::kUnknown;
  std::string_view name;
  GpuVisibility (*parse)(std::optional<std::string_view> value) = nullptr;
};
std::span<const VisibilityVariable> visibility_variables();

// Every vendor's visibility, read through `getenv` (the process environment by default).
using Environment = std::function<const char*(const char* name)>;
std::vector<GpuVisibility> read_visible_devices(const Environment& getenv);

}  // namespace jt
