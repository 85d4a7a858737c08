// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace jt {

// Our own minimal ROCm SMI declarations: no AMD header at build time (docs/backends/amd.md A1).
// rsmi_status_t is a C enum passed as an int; the values are ABI, never renumber.
using RsmiStatus = std::uint32_t;
inline constexpr RsmiStatus kRsmiSuccess = 0;
inline constexpr RsmiStatus kRsmiInvalidArgs = 1;
inline constexpr RsmiStatus kRsmiNotSupported = 2;
inline constexpr RsmiStatus kRsmiFileError = 3;
inline constexpr RsmiStatus kRsmiPermission = 4;
inline constexpr RsmiStatus kRsmiInputOutOfBounds = 7;
inline constexpr RsmiStatus kRsmiInitError = 8;
inline constexpr RsmiStatus kRsmiNotFound = 10;
inline constexpr RsmiStatus kRsmiUnknownError = 0xFFFFFFFF;

// The sonames tried in turn when nothing is configured: ROCm 5, 6 and 7 ship .so.5, .so.6 and
// .so.7; Debian 12's librocm-smi64-1 (ROCm 5.2) renames it .so.1 (docs/backends/amd.md A1).
inline constexpr std::string_view kDefaultRocmSmiLibraries[] = {
    "librocm_smi64.so.5", "librocm_smi64.so.6", "librocm_smi64.so.7", "librocm_smi64.so.1"};
inline constexpr const char* kRocmSmiLibraryEnv = "JOULETRACE_ROCM_SMI_LIBRARY";

// Entry points (rocm_smi.h). Optional ones are null when the library predates them.
struct RsmiApi {
  RsmiStatus (*init)(std::uint64_t flags) = nullptr;
  RsmiStatus (*shut_down)() = nullptr;
  RsmiStatus (*status_string)(RsmiStatus, const char**) = nullptr;
  RsmiStatus (*num_monitor_devices)(std::uint32_t*) = nullptr;
  // energy in units of *resolution uJ; timestamp in ns
  RsmiStatus (*dev_energy_count_get)(std::uint32_t, std::uint64_t*, float*,
                                     std::uint64_t*) = nullptr;
  RsmiStatus (*dev_power_ave_get)(std::uint32_t, std::uint32_t, std::uint64_t*) = nullptr;  // uW
  RsmiStatus (*dev_power_cap_get)(std::uint32_t, std::uint32_t, std::uint64_t*) = nullptr;  // uW
  RsmiStatus (*dev_unique_id_get)(std::uint32_t, std::uint64_t*) = nullptr;
  RsmiStatus (*dev_pci_id_get)(std::uint32_t, std::uint64_t*) = nullptr;  // BDFID
  RsmiStatus (*dev_name_get)(std::uint32_t, char*, std::size_t) = nullptr;
  RsmiStatus (*dev_busy_percent_get)(std::uint32_t, std::uint32_t*) = nullptr;
};

// The configured path if non-empty, else $JOULETRACE_ROCM_SMI_LIBRARY if non-empty; empty:
// try kDefaultRocmSmiLibraries in turn.
std::string resolve_rocm_smi_library_path(std::string_view configured);

// A loaded and initialised ROCm SMI; destruction shuts it down and unloads it.
class RocmSmiLibrary {
 public:
  // dlopen + dlsym + rsmi_init(0). Error kinds as NvmlLibrary::create: kNotFound (not loadable),
  // kPermissionDenied, kUnsupported (a required entry point missing), kIo (other init failure).
  static Result<std::unique_ptr<RocmSmiLibrary>> create(const std::string& path);
  // `configured` resolved; with nothing configured, the first default soname that loads.
  static Result<std::unique_ptr<RocmSmiLibrary>> open(std::string_view configured);

  ~RocmSmiLibrary();
  RocmSmiLibrary(const RocmSmiLibrary&) = delete;
  RocmSmiLibrary& operator=(const RocmSmiLibrary&) = delete;

  const RsmiApi& api() const { return api_; }
  const std::string& path() const { return path_; }
  const std::vector<std::string>& missing_symbols() const { return missing_symbols_; }
  // The library's text for a status, with the number, safe for any code.
  std::string error_string(RsmiStatus status) const;

 private:
  RocmSmiLibrary(std::string path, void* handle);

  std::string path_;
  void* handle_ = nullptr;
  bool initialised_ = false;
  RsmiApi api_;
  std::vector<std::string> missing_symbols_;
};

}  // namespace jt
