// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/level_zero/level_zero_library.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <type_traits>
#include <utility>

namespace jt {

namespace {

template <auto Slot>
void assign(ZesApi& api, void* symbol) {
  using Fn = std::remove_reference_t<decltype(api.*Slot)>;
  api.*Slot = reinterpret_cast<Fn>(symbol);
}

struct SymbolEntry {
  const char* name;
  bool required;
  void (*assign)(ZesApi&, void*);
};

// Without a required one no energy can be read; the engine calls only add utilisation
// (docs/backends/intel.md I1).
constexpr SymbolEntry kSymbols[] = {
    {"zesInit", true, &assign<&ZesApi::init>},
    {"zesDriverGet", true, &assign<&ZesApi::driver_get>},
    {"zesDeviceGet", true, &assign<&ZesApi::device_get>},
    {"zesDeviceGetProperties", true, &assign<&ZesApi::device_get_properties>},
    {"zesDevicePciGetProperties", true, &assign<&ZesApi::device_pci_get_properties>},
    {"zesDeviceEnumPowerDomains", true, &assign<&ZesApi::device_enum_power_domains>},
    {"zesPowerGetProperties", true, &assign<&ZesApi::power_get_properties>},
    {"zesPowerGetEnergyCounter", true, &assign<&ZesApi::power_get_energy_counter>},
    {"zesDeviceEnumEngineGroups", false, &assign<&ZesApi::device_enum_engine_groups>},
    {"zesEngineGetProperties", false, &assign<&ZesApi::engine_get_properties>},
    {"zesEngineGetActivity", false, &assign<&ZesApi::engine_get_activity>},
};

constexpr const char* kHintInstall =
    "install the Level Zero loader and the GPU's driver (Debian: libze1, intel-level-zero-gpu), "
    "or pass --level-zero-library / set JOULETRACE_LEVEL_ZERO_LIBRARY";

}  // namespace

std::string resolve_level_zero_library_path(std::string_view configured) {
  if (!configured.empty()) return std::string(configured);
  const char* env = std::getenv(kLevelZeroLibraryEnv);
  if (env != nullptr && *env != '\0') return env;
  return std::string(kDefaultLevelZeroLibrary);
}

std::string ze_result_text(ZeResult result) {
  const char* name = nullptr;
  switch (result) {
    case kZeSuccess: name = "ZE_RESULT_SUCCESS"; break;
    case kZeErrorDeviceLost: name = "ZE_RESULT_ERROR_DEVICE_LOST"; break;
    case kZeErrorInsufficientPermissions: name = "ZE_RESULT_ERROR_INSUFFICIENT_PERMISSIONS"; break;
    case kZeErrorUninitialized: name = "ZE_RESULT_ERROR_UNINITIALIZED"; break;
    case kZeErrorUnsupportedFeature: name = "ZE_RESULT_ERROR_UNSUPPORTED_FEATURE"; break;
    default: name = "ze_result_t"; break;
  }
  return fmt::format("{} (0x{:x})", name, static_cast<unsigned>(result));
}

LevelZeroLibrary::~LevelZeroLibrary() {
  if (handle_ != nullptr) ::dlclose(handle_);
}

Result<std::unique_ptr<LevelZeroLibrary>> LevelZeroLibrary::create(const std::string& path) {
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return make_error(ErrorKind::kNotFound,
                      "cannot load Level Zero loader '" + path +
                          "': " + (why != nullptr ? why : "unknown dynamic loader error"),
                      kHintInstall);
  }
  std::unique_ptr<LevelZeroLibrary> library(new LevelZeroLibrary(path, handle));
  for (const SymbolEntry& entry : kSymbols) {
    void* symbol = ::dlsym(handle, entry.name);
    if (symbol == nullptr && !entry.required) continue;
    if (symbol == nullptr) {
      return make_error(ErrorKind::kUnsupported,
                        "Level Zero loader '" + path + "' does not export " + entry.name +
                            " (a loader before 1.5 has no zesInit)",
                        kHintInstall);
    }
    entry.assign(library->api_, symbol);
  }
  const ZeResult result = library->api_.init(0);
  if (result == kZeSuccess) return library;
  const std::string what = "zesInit failed (" + path + "): " + ze_result_text(result);
  if (result == kZeErrorInsufficientPermissions) {
    return make_error(ErrorKind::kPermissionDenied, what,
                      "this user cannot open /dev/dri/renderD*: check the render group");
  }
  if (result == kZeErrorUninitialized || result == kZeErrorUnsupportedFeature) {
    return make_error(ErrorKind::kNotFound, what, "no Sysman driver: load the xe or i915 driver");
  }
  return make_error(ErrorKind::kIo, what);
}

}  // namespace jt
