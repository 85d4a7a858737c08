// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/nvml/nvml_library.hpp"

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>
#include <type_traits>
#include <utility>

#include "sensors/dl_symbols.hpp"

namespace jt {

namespace {

using ApiSymbol = SymbolEntry<NvmlApi>;

// Every entry point goes through this one list, so adding a call cannot bypass the
// missing-symbol bookkeeping. Versioned names only (docs/backends/nvml.md F1).
constexpr ApiSymbol kSymbols[] = {
    {"nvmlInit_v2", true, &assign_symbol<&NvmlApi::init_v2>},
    {"nvmlShutdown", true, &assign_symbol<&NvmlApi::shutdown>},
    {"nvmlErrorString", true, &assign_symbol<&NvmlApi::error_string>},
    {"nvmlDeviceGetCount_v2", true, &assign_symbol<&NvmlApi::device_get_count_v2>},
    {"nvmlDeviceGetHandleByIndex_v2", true,
     &assign_symbol<&NvmlApi::device_get_handle_by_index_v2>},
    {"nvmlDeviceGetUUID", false, &assign_symbol<&NvmlApi::device_get_uuid>},
    {"nvmlDeviceGetName", false, &assign_symbol<&NvmlApi::device_get_name>},
    {"nvmlDeviceGetTotalEnergyConsumption", false,
     &assign_symbol<&NvmlApi::device_get_total_energy_consumption>},
    {"nvmlDeviceGetPowerUsage", false, &assign_symbol<&NvmlApi::device_get_power_usage>},
    {"nvmlDeviceGetEnforcedPowerLimit", false,
     &assign_symbol<&NvmlApi::device_get_enforced_power_limit>},
    {"nvmlDeviceGetUtilizationRates", false,
     &assign_symbol<&NvmlApi::device_get_utilization_rates>},
    {"nvmlDeviceGetPciInfo_v3", false, &assign_symbol<&NvmlApi::device_get_pci_info_v3>},
    {"nvmlDeviceGetFieldValues", false, &assign_symbol<&NvmlApi::device_get_field_values>},
};

std::string last_dl_error() {
  const char* text = ::dlerror();
  return text != nullptr ? text : "unknown dynamic loader error";
}

}  // namespace

std::string resolve_nvml_library_path(std::string_view configured) {
  if (!configured.empty()) return std::string(configured);
  const char* env = std::getenv(kNvmlLibraryEnv);
  if (env != nullptr && *env != '\0') return env;
  return std::string(kDefaultNvmlLibrary);
}

NvmlLibrary::NvmlLibrary(std::string path, void* handle)
    : path_(std::move(path)), loaded_path_(path_), handle_(handle) {}

NvmlLibrary::~NvmlLibrary() {
  // NVML counts inits; one shutdown per successful init keeps a co-resident user (CUDA, a
  // framework's own NVML) unaffected.
  if (initialised_ && api_.shutdown != nullptr) api_.shutdown();
  if (handle_ != nullptr) ::dlclose(handle_);
}

Result<std::unique_ptr<NvmlLibrary>> NvmlLibrary::create(const std::string& path) {
  const std::string hint_install =
      "install the NVIDIA driver, or pass --nvml-library / set JOULETRACE_NVML_LIBRARY";
  // RTLD_LOCAL: the driver's symbols must not leak into (or be interposed by) the process.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return make_error(ErrorKind::kNotFound,
                      "cannot load NVML library '" + path + "': " + last_dl_error(), hint_install);
  }
  std::unique_ptr<NvmlLibrary> library(new NvmlLibrary(path, handle));

  link_map* map = nullptr;
  if (::dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr && map->l_name != nullptr &&
      *map->l_name != '\0') {
    library->loaded_path_ = map->l_name;
  }

  for (const ApiSymbol& entry : kSymbols) {
    void* symbol = ::dlsym(handle, entry.name);
    if (symbol != nullptr) {
      entry.assign(library->api_, symbol);
    } else if (entry.required) {
      return make_error(ErrorKind::kUnsupported,
                        "NVML library '" + path + "' does not export " + entry.name +
                            " (driver too old, or not NVML)",
                        hint_install);
    } else {
      library->missing_symbols_.emplace_back(entry.name);
    }
  }

  const NvmlReturn rc = library->api_.init_v2();
  if (rc == kNvmlSuccess) {
    library->initialised_ = true;
    return library;
  }
  const std::string what = "nvmlInit_v2 failed (" + path + "): " + library->error_string(rc);
  switch (rc) {
    case kNvmlErrorDriverNotLoaded:
      return make_error(ErrorKind::kNotFound, what,
                        "load the NVIDIA kernel driver (nvidia-smi should list the GPUs)");
    case kNvmlErrorNoPermission:
      return make_error(ErrorKind::kPermissionDenied, what,
                        "this user cannot open the NVIDIA device nodes: check the permissions "
                        "of /dev/nvidiactl and /dev/nvidia<N>, and any cgroup device rule of "
                        "the container or batch job");
    default: return make_error(ErrorKind::kIo, what);
  }
}

std::string NvmlLibrary::error_string(NvmlReturn rc) const {
  const char* text = api_.error_string != nullptr ? api_.error_string(rc) : nullptr;
  std::string out = text != nullptr ? text : "unknown NVML error";
  out += " (nvmlReturn_t " + std::to_string(rc) + ")";
  return out;
}

}  // namespace jt
