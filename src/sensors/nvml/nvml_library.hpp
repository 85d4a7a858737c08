// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace jt {

// Our own minimal NVML declarations: no NVIDIA header at build time (docs/backends/nvml.md F1).
// The handle is opaque; only the driver knows what it points to.
typedef struct nvmlDevice_st* nvmlDevice_t;

// nvmlUtilization_t: percent of the last sample period (1/6 s to 1 s, by product) during which a
// kernel ran (gpu) or device memory was read or written (memory).
struct NvmlUtilization {
  unsigned int gpu;
  unsigned int memory;
};

// nvmlPciInfo_t as nvmlDeviceGetPciInfo_v3 fills it (nvml.h: NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE
// 16, NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE 32). busId reads "00000009:01:00.0".
struct NvmlPciInfo {
  char bus_id_legacy[16];
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pci_device_id;
  unsigned int pci_sub_system_id;
  char bus_id[32];
};

// nvmlFieldValue_t (nvml.h): one answer of nvmlDeviceGetFieldValues. value is nvmlValue_t, a
// union of 8 bytes; NVML_FI_DEV_POWER_INSTANT answers in its unsigned int, in mW.
struct NvmlFieldValue {
  unsigned int field_id;
  unsigned int scope_id;
  long long timestamp;
  long long latency_usec;
  int value_type;
  int nvml_return;
  union {
    double d;
    unsigned int ui;
    unsigned long long ull;
  } value;
};
inline constexpr unsigned int kNvmlFieldPowerInstant = 186;  // NVML_FI_DEV_POWER_INSTANT

// nvmlReturn_t is a C enum passed as an int.
using NvmlReturn = int;

// The documented nvmlReturn_t values (docs/backends/nvml.md F3). They are ABI: never renumber.
inline constexpr NvmlReturn kNvmlSuccess = 0;
inline constexpr NvmlReturn kNvmlErrorUninitialized = 1;
inline constexpr NvmlReturn kNvmlErrorInvalidArgument = 2;
inline constexpr NvmlReturn kNvmlErrorNotSupported = 3;
inline constexpr NvmlReturn kNvmlErrorNoPermission = 4;
inline constexpr NvmlReturn kNvmlErrorNotFound = 6;
inline constexpr NvmlReturn kNvmlErrorInsufficientSize = 7;
inline constexpr NvmlReturn kNvmlErrorDriverNotLoaded = 9;
inline constexpr NvmlReturn kNvmlErrorLibraryNotFound = 12;
inline constexpr NvmlReturn kNvmlErrorFunctionNotFound = 13;
inline constexpr NvmlReturn kNvmlErrorGpuIsLost = 15;
inline constexpr NvmlReturn kNvmlErrorGpuNotFound = 28;
inline constexpr NvmlReturn kNvmlErrorUnknown = 999;

// NVML_DEVICE_UUID_V2_BUFFER_SIZE and NVML_DEVICE_NAME_V2_BUFFER_SIZE.
inline constexpr unsigned int kNvmlUuidBufferSize = 96;
inline constexpr unsigned int kNvmlNameBufferSize = 96;

inline constexpr std::string_view kDefaultNvmlLibrary = "libnvidia-ml.so.1";
inline constexpr const char* kNvmlLibraryEnv = "JOULETRACE_NVML_LIBRARY";

// Entry points, resolved by their versioned names: the unversioned ones are the legacy v1 ABI.
// Optional ones are null when the driver predates them.
struct NvmlApi {
  NvmlReturn (*init_v2)() = nullptr;
  NvmlReturn (*shutdown)() = nullptr;
  const char* (*error_string)(NvmlReturn) = nullptr;
  NvmlReturn (*device_get_count_v2)(unsigned int*) = nullptr;
  NvmlReturn (*device_get_handle_by_index_v2)(unsigned int, nvmlDevice_t*) = nullptr;
  NvmlReturn (*device_get_uuid)(nvmlDevice_t, char*, unsigned int) = nullptr;
  NvmlReturn (*device_get_name)(nvmlDevice_t, char*, unsigned int) = nullptr;
  NvmlReturn (*device_get_total_energy_consumption)(nvmlDevice_t, unsigned long long*) = nullptr;
  NvmlReturn (*device_get_power_usage)(nvmlDevice_t, unsigned int*) = nullptr;
  NvmlReturn (*device_get_enforced_power_limit)(nvmlDevice_t, unsigned int*) = nullptr;
  NvmlReturn (*device_get_utilization_rates)(nvmlDevice_t, NvmlUtilization*) = nullptr;
  NvmlReturn (*device_get_pci_info_v3)(nvmlDevice_t, NvmlPciInfo*) = nullptr;
  NvmlReturn (*device_get_field_values)(nvmlDevice_t, int, NvmlFieldValue*) = nullptr;
};

// The explicit path if non-empty, else $JOULETRACE_NVML_LIBRARY if non-empty, else the
// driver's soname, which the dynamic linker searches for.
std::string resolve_nvml_library_path(std::string_view configured);

// A loaded and initialised NVML. Destruction shuts NVML down and unloads it, so every
// handle obtained through it must die first.
class NvmlLibrary {
 public:
  // dlopen + dlsym + nvmlInit_v2. Error kinds: kNotFound (library not loadable or driver not
  // loaded), kPermissionDenied (NVML_ERROR_NO_PERMISSION), kUnsupported (a required entry point
  // is missing), kIo (any other init failure, with NVML's own text).
  static Result<std::unique_ptr<NvmlLibrary>> create(const std::string& path);

  ~NvmlLibrary();
  NvmlLibrary(const NvmlLibrary&) = delete;
  NvmlLibrary& operator=(const NvmlLibrary&) = delete;

  const NvmlApi& api() const { return api_; }
  // The path as asked for, and the file the dynamic linker actually mapped (the same unless
  // a bare soname was searched for).
  const std::string& path() const { return path_; }
  const std::string& loaded_path() const { return loaded_path_; }
  // Optional entry points this library does not export.
  const std::vector<std::string>& missing_symbols() const { return missing_symbols_; }

  // NVML's text for a return code, with the number, safe for any code.
  std::string error_string(NvmlReturn rc) const;

 private:
  NvmlLibrary(std::string path, void* handle);

  std::string path_;
  std::string loaded_path_;
  void* handle_ = nullptr;
  bool initialised_ = false;
  NvmlApi api_;
  std::vector<std::string> missing_symbols_;
};

}  // namespace jt
