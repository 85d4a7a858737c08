// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/level_zero/level_zero_library.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include "sensors/dl_symbols.hpp"

namespace jt {

namespace {

using ApiSymbol = SymbolEntry<ZesApi>;

// Without a required one no energy can be read; the engine calls only add utilisation
// (docs/backends/intel.md I1).
// A loader from 1.5 on initialises Sysman with zesInit and enumerates with zesDriverGet and
// zesDeviceGet; an older one only through the core calls of the same signatures.
constexpr ApiSymbol kSysmanInitSymbols[] = {
    {"zesInit", true, &assign_symbol<&ZesApi::init>},
    {"zesDriverGet", true, &assign_symbol<&ZesApi::driver_get>},
    {"zesDeviceGet", true, &assign_symbol<&ZesApi::device_get>},
};
constexpr ApiSymbol kCoreInitSymbols[] = {
    {"zeInit", true, &assign_symbol<&ZesApi::init>},
    {"zeDriverGet", true, &assign_symbol<&ZesApi::driver_get>},
    {"zeDeviceGet", true, &assign_symbol<&ZesApi::device_get>},
};
constexpr ApiSymbol kSymbols[] = {
    {"zesDeviceGetProperties", true, &assign_symbol<&ZesApi::device_get_properties>},
    {"zesDevicePciGetProperties", true, &assign_symbol<&ZesApi::device_pci_get_properties>},
    {"zesDeviceEnumPowerDomains", true, &assign_symbol<&ZesApi::device_enum_power_domains>},
    {"zesPowerGetProperties", true, &assign_symbol<&ZesApi::power_get_properties>},
    {"zesPowerGetEnergyCounter", true, &assign_symbol<&ZesApi::power_get_energy_counter>},
    {"zesDeviceEnumEngineGroups", false, &assign_symbol<&ZesApi::device_enum_engine_groups>},
    {"zesEngineGetProperties", false, &assign_symbol<&ZesApi::engine_get_properties>},
    {"zesEngineGetActivity", false, &assign_symbol<&ZesApi::engine_get_activity>},
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

namespace {

Result<void> bind(LevelZeroLibrary& library, void* handle, std::span<const ApiSymbol> symbols,
                  ZesApi& api) {
  for (const ApiSymbol& entry : symbols) {
    void* symbol = ::dlsym(handle, entry.name);
    if (symbol == nullptr && !entry.required) continue;
    if (symbol == nullptr) {
      return make_error(ErrorKind::kUnsupported,
                        "Level Zero loader '" + library.path() + "' does not export " + entry.name,
                        kHintInstall);
    }
    entry.assign(api, symbol);
  }
  return {};
}

bool sysman_enabled_in_environment() {
  const char* value = std::getenv(kSysmanEnvironmentVariable);
  return value != nullptr && std::string_view(value) == "1";
}

std::unexpected<Error> explain_init_failure(const std::string& call, const std::string& path,
                                            ZeResult result) {
  const std::string what = call + " failed (" + path + "): " + ze_result_text(result);
  if (result == kZeErrorInsufficientPermissions) {
    return make_error(ErrorKind::kPermissionDenied, what,
                      "this user cannot open /dev/dri/renderD*: check the render group");
  }
  if (result == kZeErrorUninitialized || result == kZeErrorUnsupportedFeature) {
    return make_error(ErrorKind::kNotFound, what, "no Sysman driver: load the xe or i915 driver");
  }
  return make_error(ErrorKind::kIo, what);
}

}  // namespace

// A loader before 1.5: Sysman is enabled by ZES_ENABLE_SYSMAN=1 when zeInit runs, the driver
// reading it then. Set for zeInit alone, so that the commands we start do not inherit it.
Result<void> LevelZeroLibrary::init_through_core(bool may_set_environment) {
  const bool set_here = !sysman_enabled_in_environment();
  if (set_here && !may_set_environment) {
    return make_error(ErrorKind::kNotFound,
                      "Level Zero loader '" + path_ +
                          "' predates zesInit (1.5): its Sysman needs ZES_ENABLE_SYSMAN=1 "
                          "before zeInit, which this program has not set",
                      "export ZES_ENABLE_SYSMAN=1 before starting the program, or install a "
                      "loader 1.5 or later; the xe/i915 hwmon is read meanwhile");
  }
  if (set_here) ::setenv(kSysmanEnvironmentVariable, "1", 0);
  const ZeResult result = api_.init(0);
  if (set_here) ::unsetenv(kSysmanEnvironmentVariable);
  if (result != kZeSuccess) return explain_init_failure("zeInit", path_, result);
  return {};
}

Result<std::unique_ptr<LevelZeroLibrary>> LevelZeroLibrary::create(const std::string& path,
                                                                   bool may_set_environment) {
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return make_error(ErrorKind::kNotFound,
                      "cannot load Level Zero loader '" + path +
                          "': " + (why != nullptr ? why : "unknown dynamic loader error"),
                      kHintInstall);
  }
  std::unique_ptr<LevelZeroLibrary> library(new LevelZeroLibrary(path, handle));
  library->through_core_ = ::dlsym(handle, "zesInit") == nullptr;
  if (library->through_core_ && ::dlsym(handle, "zeInit") == nullptr) {
    return make_error(ErrorKind::kUnsupported,
                      "'" + path +
                          "' exports neither zesInit (Level Zero 1.5 and later) nor zeInit: "
                          "not a Level Zero loader",
                      kHintInstall);
  }
  const auto init_symbols = library->through_core_ ? std::span<const ApiSymbol>(kCoreInitSymbols)
                                                   : std::span<const ApiSymbol>(kSysmanInitSymbols);
  if (auto bound = bind(*library, handle, init_symbols, library->api_); !bound) {
    return std::unexpected(bound.error());
  }
  if (auto bound = bind(*library, handle, kSymbols, library->api_); !bound) {
    return std::unexpected(bound.error());
  }
  if (library->through_core_) {
    if (auto ready = library->init_through_core(may_set_environment); !ready) {
      return std::unexpected(ready.error());
    }
    return library;
  }
  const ZeResult result = library->api_.init(0);
  if (result != kZeSuccess) return explain_init_failure("zesInit", path, result);
  return library;
}

}  // namespace jt
