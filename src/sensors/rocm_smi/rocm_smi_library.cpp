// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/rocm_smi/rocm_smi_library.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <type_traits>
#include <utility>

#include "sensors/dl_symbols.hpp"

namespace jt {

namespace {

using ApiSymbol = SymbolEntry<RsmiApi>;

// Every entry point goes through this list, so none can bypass the missing-symbol bookkeeping.
// rsmi_dev_energy_count_get arrived in ROCm 4.x: older libraries measure by power only.
constexpr ApiSymbol kSymbols[] = {
    {"rsmi_init", true, &assign_symbol<&RsmiApi::init>},
    {"rsmi_shut_down", true, &assign_symbol<&RsmiApi::shut_down>},
    {"rsmi_num_monitor_devices", true, &assign_symbol<&RsmiApi::num_monitor_devices>},
    {"rsmi_status_string", false, &assign_symbol<&RsmiApi::status_string>},
    {"rsmi_dev_energy_count_get", false, &assign_symbol<&RsmiApi::dev_energy_count_get>},
    {"rsmi_dev_power_ave_get", false, &assign_symbol<&RsmiApi::dev_power_ave_get>},
    {"rsmi_dev_power_cap_get", false, &assign_symbol<&RsmiApi::dev_power_cap_get>},
    {"rsmi_dev_unique_id_get", false, &assign_symbol<&RsmiApi::dev_unique_id_get>},
    {"rsmi_dev_pci_id_get", false, &assign_symbol<&RsmiApi::dev_pci_id_get>},
    {"rsmi_dev_name_get", false, &assign_symbol<&RsmiApi::dev_name_get>},
    {"rsmi_dev_busy_percent_get", false, &assign_symbol<&RsmiApi::dev_busy_percent_get>},
};

constexpr const char* kHintInstall =
    "install ROCm SMI (Debian: librocm-smi64-1), or pass --rocm-smi-library / set "
    "JOULETRACE_ROCM_SMI_LIBRARY";

std::string last_dl_error() {
  const char* text = ::dlerror();
  return text != nullptr ? text : "unknown dynamic loader error";
}

}  // namespace

std::string resolve_rocm_smi_library_path(std::string_view configured) {
  if (!configured.empty()) return std::string(configured);
  const char* env = std::getenv(kRocmSmiLibraryEnv);
  if (env != nullptr && *env != '\0') return env;
  return {};
}

RocmSmiLibrary::RocmSmiLibrary(std::string path, void* handle)
    : path_(std::move(path)), handle_(handle) {}

RocmSmiLibrary::~RocmSmiLibrary() {
  // rsmi_init is reference counted: one shut-down per init leaves other users in the process be.
  if (initialised_ && api_.shut_down != nullptr) api_.shut_down();
  if (handle_ != nullptr) ::dlclose(handle_);
}

Result<std::unique_ptr<RocmSmiLibrary>> RocmSmiLibrary::open(std::string_view configured) {
  const std::string path = resolve_rocm_smi_library_path(configured);
  if (!path.empty()) return create(path);
  std::string tried;
  for (const std::string_view soname : kDefaultRocmSmiLibraries) {
    auto library = create(std::string(soname));
    // Only a soname that does not load sends us to the next; one that loads and fails its init
    // is the answer, with its own text.
    const bool not_loadable = !library && library.error().kind == ErrorKind::kNotFound &&
                              library.error().message.starts_with("cannot load");
    if (!not_loadable) return library;
    tried += (tried.empty() ? "" : ", ") + std::string(soname);
  }
  return make_error(ErrorKind::kNotFound, "cannot load ROCm SMI (tried " + tried + ")",
                    kHintInstall);
}

Result<std::unique_ptr<RocmSmiLibrary>> RocmSmiLibrary::create(const std::string& path) {
  // RTLD_LOCAL: the library's symbols must not leak into (or be interposed by) the process.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return make_error(ErrorKind::kNotFound,
                      "cannot load ROCm SMI library '" + path + "': " + last_dl_error(),
                      kHintInstall);
  }
  std::unique_ptr<RocmSmiLibrary> library(new RocmSmiLibrary(path, handle));
  for (const ApiSymbol& entry : kSymbols) {
    void* symbol = ::dlsym(handle, entry.name);
    if (symbol != nullptr) {
      entry.assign(library->api_, symbol);
    } else if (entry.required) {
      return make_error(ErrorKind::kUnsupported,
                        "ROCm SMI library '" + path + "' does not export " + entry.name,
                        kHintInstall);
    } else {
      library->missing_symbols_.emplace_back(entry.name);
    }
  }
  const RsmiStatus status = library->api_.init(0);
  if (status == kRsmiSuccess) {
    library->initialised_ = true;
    return library;
  }
  const std::string what = "rsmi_init failed (" + path + "): " + library->error_string(status);
  switch (status) {
    case kRsmiPermission:
      return make_error(ErrorKind::kPermissionDenied, what,
                        "this user cannot open /dev/kfd or /dev/dri/renderD*: check the video "
                        "and render groups, and the cgroup device rules of the job");
    case kRsmiInitError:
    case kRsmiFileError:
      return make_error(ErrorKind::kNotFound, what,
                        "load the amdgpu kernel driver (rocm-smi should list the GPUs)");
    default: return make_error(ErrorKind::kIo, what);
  }
}

std::string RocmSmiLibrary::error_string(RsmiStatus status) const {
  const char* text = nullptr;
  if (api_.status_string == nullptr || api_.status_string(status, &text) != kRsmiSuccess) {
    text = nullptr;
  }
  std::string out = text != nullptr ? text : "unknown ROCm SMI error";
  out += " (rsmi_status_t " + std::to_string(status) + ")";
  return out;
}

}  // namespace jt
