// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/amd_smi/amd_smi_library.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <type_traits>

#include "sensors/dl_symbols.hpp"

namespace jt {

namespace {

using ApiSymbol = SymbolEntry<AmdSmiApi>;

// The energy counter is required: without it ROCm SMI, next in the backend table, reads the
// GPU's power instead (docs/backends/amd.md).
constexpr ApiSymbol kSymbols[] = {
    {"amdsmi_init", true, &assign_symbol<&AmdSmiApi::init>},
    {"amdsmi_shut_down", true, &assign_symbol<&AmdSmiApi::shut_down>},
    {"amdsmi_get_socket_handles", true, &assign_symbol<&AmdSmiApi::get_socket_handles>},
    {"amdsmi_get_processor_handles", true, &assign_symbol<&AmdSmiApi::get_processor_handles>},
    {"amdsmi_get_energy_count", true, &assign_symbol<&AmdSmiApi::get_energy_count>},
    {"amdsmi_status_code_to_string", false, &assign_symbol<&AmdSmiApi::status_code_to_string>},
    {"amdsmi_get_gpu_device_uuid", false, &assign_symbol<&AmdSmiApi::get_gpu_device_uuid>},
    {"amdsmi_get_gpu_device_bdf", false, &assign_symbol<&AmdSmiApi::get_gpu_device_bdf>},
    {"amdsmi_get_gpu_asic_info", false, &assign_symbol<&AmdSmiApi::get_gpu_asic_info>},
    {"amdsmi_get_power_cap_info", false, &assign_symbol<&AmdSmiApi::get_power_cap_info>},
    {"amdsmi_get_gpu_activity", false, &assign_symbol<&AmdSmiApi::get_gpu_activity>},
};

constexpr const char* kHintInstall =
    "install AMD SMI (ROCm 6 and later), or pass --amd-smi-library / set "
    "JOULETRACE_AMD_SMI_LIBRARY; without it ROCm SMI is tried";

}  // namespace

std::string resolve_amd_smi_library_path(std::string_view configured) {
  if (!configured.empty()) return std::string(configured);
  const char* env = std::getenv(kAmdSmiLibraryEnv);
  if (env != nullptr && *env != '\0') return env;
  return std::string(kDefaultAmdSmiLibrary);
}

AmdSmiLibrary::~AmdSmiLibrary() {
  if (initialised_ && api_.shut_down != nullptr) api_.shut_down();
  if (handle_ != nullptr) ::dlclose(handle_);
}

Result<std::unique_ptr<AmdSmiLibrary>> AmdSmiLibrary::create(const std::string& path) {
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return make_error(ErrorKind::kNotFound,
                      "cannot load AMD SMI library '" + path +
                          "': " + (why != nullptr ? why : "unknown dynamic loader error"),
                      kHintInstall);
  }
  std::unique_ptr<AmdSmiLibrary> library(new AmdSmiLibrary(path, handle));
  for (const ApiSymbol& entry : kSymbols) {
    void* symbol = ::dlsym(handle, entry.name);
    if (symbol != nullptr) {
      entry.assign(library->api_, symbol);
    } else if (entry.required) {
      return make_error(ErrorKind::kUnsupported,
                        "AMD SMI library '" + path + "' does not export " + entry.name,
                        kHintInstall);
    }
  }
  const AmdSmiStatus status = library->api_.init(kAmdSmiInitAmdGpus);
  if (status == kAmdSmiSuccess) {
    library->initialised_ = true;
    return library;
  }
  const std::string what = "amdsmi_init failed (" + path + "): " + library->error_string(status);
  switch (status) {
    case kAmdSmiNoPermission:
      return make_error(ErrorKind::kPermissionDenied, what,
                        "this user cannot open /dev/kfd or /dev/dri/renderD*: check the video "
                        "and render groups");
    case kAmdSmiDriverNotLoaded:
    case kAmdSmiInitError:
      return make_error(ErrorKind::kNotFound, what, "load the amdgpu kernel driver");
    default: return make_error(ErrorKind::kIo, what);
  }
}

std::string AmdSmiLibrary::error_string(AmdSmiStatus status) const {
  const char* text = nullptr;
  if (api_.status_code_to_string == nullptr ||
      api_.status_code_to_string(status, &text) != kAmdSmiSuccess) {
    text = nullptr;
  }
  std::string out = text != nullptr ? text : "unknown AMD SMI error";
  out += " (amdsmi_status_t " + std::to_string(status) + ")";
  return out;
}

}  // namespace jt
