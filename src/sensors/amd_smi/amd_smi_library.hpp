// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.hpp"

namespace jt {

// Our own minimal AMD SMI declarations (amdsmi.h): no AMD header at build time
// (docs/backends/amd.md A8). Handles are opaque pointers; statuses are ABI, never renumber.
using AmdSmiHandle = void*;  // amdsmi_socket_handle, amdsmi_processor_handle
using AmdSmiStatus = std::uint32_t;
inline constexpr AmdSmiStatus kAmdSmiSuccess = 0;
inline constexpr AmdSmiStatus kAmdSmiNotSupported = 2;
inline constexpr AmdSmiStatus kAmdSmiNoPermission = 10;
inline constexpr AmdSmiStatus kAmdSmiInputOutOfBounds = 17;
inline constexpr AmdSmiStatus kAmdSmiInitError = 18;
inline constexpr AmdSmiStatus kAmdSmiNotFound = 31;
inline constexpr AmdSmiStatus kAmdSmiDriverNotLoaded = 34;
inline constexpr std::uint64_t kAmdSmiInitAmdGpus = 1U << 1;  // AMDSMI_INIT_AMD_GPUS
inline constexpr unsigned int kAmdSmiUuidSize = 38;           // AMDSMI_GPU_UUID_SIZE

// Structures whose layout changed between AMD SMI releases are read through a buffer larger than
// any release's, and only their first field is used, which has not moved (A8): market_name of
// amdsmi_asic_info_t (64 or 256 chars), power_cap (uW) of amdsmi_power_cap_info_t, gfx_activity
// (%) of amdsmi_engine_usage_t.
inline constexpr std::size_t kAmdSmiStructBuffer = 4096;

struct AmdSmiApi {
  AmdSmiStatus (*init)(std::uint64_t flags) = nullptr;
  AmdSmiStatus (*shut_down)() = nullptr;
  AmdSmiStatus (*status_code_to_string)(AmdSmiStatus, const char**) = nullptr;
  AmdSmiStatus (*get_socket_handles)(std::uint32_t*, AmdSmiHandle*) = nullptr;
  AmdSmiStatus (*get_processor_handles)(AmdSmiHandle, std::uint32_t*, AmdSmiHandle*) = nullptr;
  // energy in units of *resolution uJ; timestamp in ns
  AmdSmiStatus (*get_energy_count)(AmdSmiHandle, std::uint64_t*, float*, std::uint64_t*) = nullptr;
  AmdSmiStatus (*get_gpu_device_uuid)(AmdSmiHandle, unsigned int*, char*) = nullptr;
  AmdSmiStatus (*get_gpu_device_bdf)(AmdSmiHandle, std::uint64_t*) = nullptr;  // amdsmi_bdf_t
  AmdSmiStatus (*get_gpu_asic_info)(AmdSmiHandle, void*) = nullptr;
  AmdSmiStatus (*get_power_cap_info)(AmdSmiHandle, std::uint32_t, void*) = nullptr;
  AmdSmiStatus (*get_gpu_activity)(AmdSmiHandle, void*) = nullptr;
};

inline constexpr std::string_view kDefaultAmdSmiLibrary = "libamd_smi.so";
inline constexpr const char* kAmdSmiLibraryEnv = "JOULETRACE_AMD_SMI_LIBRARY";

// The configured path, else $JOULETRACE_AMD_SMI_LIBRARY, else libamd_smi.so.
std::string resolve_amd_smi_library_path(std::string_view configured);

// A loaded AMD SMI, initialised for GPUs; destruction shuts it down and unloads it.
class AmdSmiLibrary {
 public:
  // Error kinds as NvmlLibrary::create.
  static Result<std::unique_ptr<AmdSmiLibrary>> create(const std::string& path);
  ~AmdSmiLibrary();
  AmdSmiLibrary(const AmdSmiLibrary&) = delete;
  AmdSmiLibrary& operator=(const AmdSmiLibrary&) = delete;

  const AmdSmiApi& api() const { return api_; }
  const std::string& path() const { return path_; }
  std::string error_string(AmdSmiStatus status) const;

 private:
  AmdSmiLibrary(std::string path, void* handle) : path_(std::move(path)), handle_(handle) {}
  std::string path_;
  void* handle_ = nullptr;
  bool initialised_ = false;
  AmdSmiApi api_;
};

}  // namespace jt
