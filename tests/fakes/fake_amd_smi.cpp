// SPDX-License-Identifier: BSD-3-Clause
// A fake libamd_smi.so, loaded by tests through the production dlopen loader. Declarations
// written from amdsmi.h (github.com/ROCm/amdsmi), not the backend's.
//
// Configuration: $JT_FAKE_AMD_SMI_CONFIG names a text file, read at each first amdsmi_init of a
// series. Without it: no AMD GPU. One GPU per line, each on a socket of its own as AMD SMI
// reports discrete GPUs:
//
//   gpu name=AMD_Instinct_MI300X uuid=<text> pci=0000:c1:00.0 power_w=750 resolution_uj=15.3
//       energy=1 cap_w=750 busy=60 lost_after_reads=N
//
// '_' in a name reads as a space. Energy in uJ is power_w * 1e6 * (CLOCK_MONOTONIC seconds since
// amdsmi_init), reported in units of resolution_uj. energy=0: amdsmi_get_energy_count answers
// NOT_SUPPORTED; cap_w=0 (default) the power cap; busy=-1 the activity. lost_after_reads=N: after
// N energy reads every call on the GPU answers AMDSMI_STATUS_NOT_FOUND (31). The structures of
// varying layout are written at their largest known size.

#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using Status = std::uint32_t;
constexpr Status kSuccess = 0;
constexpr Status kInval = 1;
constexpr Status kNotSupported = 2;
constexpr Status kNotFound = 31;
constexpr Status kNotInit = 32;

struct Gpu {
  std::string name = "FakeAMDGPU";
  std::string uuid;
  std::uint64_t bdf = 0;
  double power_w = 100.0;
  double resolution_uj = 15.3;
  bool energy = true;
  double cap_w = 0.0;
  long busy = 0;
  long lost_after_reads = -1;
  long reads = 0;
};

struct State {
  std::mutex mutex;
  int inits = 0;
  std::deque<Gpu> gpus;
  double start_s = 0.0;
};

State& state() {
  static State s;
  return s;
}

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

bool apply_key(Gpu& g, const std::string& key, const std::string& value) {
  if (key == "name") {
    g.name = value;
    for (char& c : g.name) c = c == '_' ? ' ' : c;
  } else if (key == "uuid") {
    g.uuid = value;
  } else if (key == "pci") {
    unsigned domain = 0, bus = 0, device = 0, function = 0;
    if (std::sscanf(value.c_str(), "%x:%x:%x.%x", &domain, &bus, &device, &function) != 4) {
      return false;
    }
    // amdsmi_bdf_t: function_number 3 bits, device_number 5, bus_number 8, domain_number 48.
    g.bdf = (static_cast<std::uint64_t>(domain) << 16) | ((bus & 0xFFU) << 8) |
            ((device & 0x1FU) << 3) | (function & 0x7U);
  } else if (key == "power_w") {
    g.power_w = std::atof(value.c_str());
  } else if (key == "resolution_uj") {
    g.resolution_uj = std::atof(value.c_str());
  } else if (key == "energy") {
    g.energy = value != "0";
  } else if (key == "cap_w") {
    g.cap_w = std::atof(value.c_str());
  } else if (key == "busy") {
    g.busy = std::atol(value.c_str());
  } else if (key == "lost_after_reads") {
    g.lost_after_reads = std::atol(value.c_str());
  } else {
    return false;
  }
  return true;
}

bool load_config(State& s) {
  s.gpus.clear();
  const char* path = std::getenv("JT_FAKE_AMD_SMI_CONFIG");
  if (path == nullptr) return true;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream words(line);
    std::string word;
    Gpu* gpu = nullptr;
    while (words >> word) {
      if (word == "gpu") {
        gpu = &s.gpus.emplace_back();
        continue;
      }
      const auto eq = word.find('=');
      if (gpu == nullptr || !apply_key(*gpu, word.substr(0, eq),
                                       eq == std::string::npos ? "" : word.substr(eq + 1))) {
        std::fprintf(stderr, "fake_amd_smi: bad item '%s'\n", word.c_str());
        return false;
      }
    }
  }
  return true;
}

// The GPU behind a handle (a socket's and its processor's handle are the same pointer).
Status gpu_of(void* handle, Gpu*& gpu) {
  if (state().inits == 0) return kNotInit;
  gpu = static_cast<Gpu*>(handle);
  if (gpu == nullptr) return kInval;
  if (gpu->lost_after_reads >= 0 && gpu->reads >= gpu->lost_after_reads) return kNotFound;
  return kSuccess;
}

}  // namespace

FAKE_EXPORT Status amdsmi_init(std::uint64_t) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (s.inits == 0) {
    if (!load_config(s)) return 18;  // AMDSMI_STATUS_INIT_ERROR
    s.start_s = now_s();
  }
  ++s.inits;
  return kSuccess;
}

FAKE_EXPORT Status amdsmi_shut_down() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (s.inits > 0) --s.inits;
  return kSuccess;
}

FAKE_EXPORT Status amdsmi_status_code_to_string(Status status, const char** text) {
  if (text == nullptr) return kInval;
  *text = status == kNotFound ? "AMDSMI_STATUS_NOT_FOUND - Device Not found"
                              : "AMDSMI_STATUS_NOT_SUPPORTED - Feature not supported";
  return kSuccess;
}

FAKE_EXPORT Status amdsmi_get_socket_handles(std::uint32_t* count, void** sockets) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (count == nullptr) return kInval;
  if (s.inits == 0) return kNotInit;
  if (sockets == nullptr) {
    *count = static_cast<std::uint32_t>(s.gpus.size());
    return kSuccess;
  }
  std::uint32_t n = 0;
  for (auto& g : s.gpus) {
    if (n == *count) break;
    sockets[n++] = &g;
  }
  *count = n;
  return kSuccess;
}

FAKE_EXPORT Status amdsmi_get_processor_handles(void* socket, std::uint32_t* count,
                                                void** processors) {
  if (count == nullptr || socket == nullptr) return kInval;
  if (processors != nullptr && *count >= 1) processors[0] = socket;
  *count = 1;
  return kSuccess;
}

FAKE_EXPORT Status amdsmi_get_energy_count(void* handle, std::uint64_t* energy, float* resolution,
                                           std::uint64_t* timestamp) {
  std::lock_guard lock(state().mutex);
  if (energy == nullptr || resolution == nullptr || timestamp == nullptr) return kInval;
  Gpu* g = nullptr;
  if (const Status st = gpu_of(handle, g); st != kSuccess) return st;
  if (!g->energy) return kNotSupported;
  const double t = now_s();
  *energy = static_cast<std::uint64_t>(g->power_w * 1e6 * (t - state().start_s) / g->resolution_uj);
  *resolution = static_cast<float>(g->resolution_uj);
  *timestamp = static_cast<std::uint64_t>(t * 1e9);
  ++g->reads;
  return kSuccess;
}

FAKE_EXPORT Status amdsmi_get_gpu_device_uuid(void* handle, unsigned int* length, char* uuid) {
  std::lock_guard lock(state().mutex);
  Gpu* g = nullptr;
  if (const Status st = gpu_of(handle, g); st != kSuccess) return st;
  if (length == nullptr || uuid == nullptr) return kInval;
  if (g->uuid.empty()) return kNotSupported;
  std::snprintf(uuid, *length, "%s", g->uuid.c_str());
  return kSuccess;
}

FAKE_EXPORT Status amdsmi_get_gpu_device_bdf(void* handle, std::uint64_t* bdf) {
  std::lock_guard lock(state().mutex);
  Gpu* g = nullptr;
  if (const Status st = gpu_of(handle, g); st != kSuccess) return st;
  if (bdf == nullptr) return kInval;
  *bdf = g->bdf;
  return kSuccess;
}

FAKE_EXPORT Status amdsmi_get_gpu_asic_info(void* handle, char* info) {
  std::lock_guard lock(state().mutex);
  Gpu* g = nullptr;
  if (const Status st = gpu_of(handle, g); st != kSuccess) return st;
  if (info == nullptr) return kInval;
  std::snprintf(info, 256, "%s", g->name.c_str());  // market_name[AMDSMI_256_LENGTH] comes first
  return kSuccess;
}

FAKE_EXPORT Status amdsmi_get_power_cap_info(void* handle, std::uint32_t, std::uint64_t* info) {
  std::lock_guard lock(state().mutex);
  Gpu* g = nullptr;
  if (const Status st = gpu_of(handle, g); st != kSuccess) return st;
  if (info == nullptr) return kInval;
  if (g->cap_w <= 0) return kNotSupported;
  std::memset(info, 0, 8 * sizeof(std::uint64_t));  // amdsmi_power_cap_info_t: 8 uint64_t
  info[0] = static_cast<std::uint64_t>(g->cap_w * 1e6);
  return kSuccess;
}

FAKE_EXPORT Status amdsmi_get_gpu_activity(void* handle, std::uint32_t* usage) {
  std::lock_guard lock(state().mutex);
  Gpu* g = nullptr;
  if (const Status st = gpu_of(handle, g); st != kSuccess) return st;
  if (usage == nullptr) return kInval;
  if (g->busy < 0) return kNotSupported;
  std::memset(usage, 0, 16 * sizeof(std::uint32_t));  // amdsmi_engine_usage_t: 16 uint32_t
  usage[0] = static_cast<std::uint32_t>(g->busy);
  return kSuccess;
}
