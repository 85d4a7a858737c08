// SPDX-License-Identifier: BSD-3-Clause
// A fake libnvidia-ml.so.1, loaded by tests through the production dlopen loader.
//
// Configuration: $JT_FAKE_NVML_CONFIG names a text file, read at each first nvmlInit_v2 (a later
// dlopen of the same path returns the already-loaded library, so load time is too early).
// Without the variable the fake is a machine with no GPU. One item per line, '#' comments,
// whitespace-separated key=value:
//
//   init_result=9        nvmlInit_v2 returns this nvmlReturn_t (default 0)
//   gpu uuid=GPU-1111 name=FakeGPU-A power_w=200 energy=1 power=1 limit_w=700
//       initial_mj=5000000 reset_after_reads=N lost_after_reads=N lost_result=15 lost_calls=M
//       util=80 busy_from_s=T busy_until_s=T busy_file=PATH pci=0009:01:00.0
//
// gpu keys (all optional; defaults uuid=GPU-fake-<i> name=FakeGPU power_w=100 initial_mj=0, at
// most 16 GPUs): energy=0 / power=0 make that getter return NOT_SUPPORTED; limit_w=0
// (default) makes the enforced limit NOT_SUPPORTED. Energy in mJ is initial_mj + power_w *
// 1000 * (CLOCK_MONOTONIC seconds since nvmlInit_v2). reset_after_reads=N: after the Nth
// successful energy read the counter restarts from 0 at that instant (a driver reload).
// lost_after_reads=N: once the GPU has answered N energy-or-power reads successfully, every
// call on it returns lost_result (default GPU_IS_LOST, 15); lost_calls=M lets it answer
// normally again after M such failures, so tests can tell "remembered as lost" from "asked
// again" (default: never comes back). util=P: nvmlDeviceGetUtilizationRates reports P % (default
// 0, an idle GPU; util=-1 makes it NOT_SUPPORTED); with busy_from_s / busy_until_s it reports P
// only between those seconds after nvmlInit_v2 and 0 outside; with busy_file=PATH it reports P only
// while that file exists (a test script touches and removes it around the work it marks).
// energy_cost_ms=C: each nvmlDeviceGetTotalEnergyConsumption burns C ms of the calling thread's
// CPU, as a real driver does (2.6-5.6 ms on an H100 with driver 580, docs/backends/nvml.md);
// refresh_ms=R: the counter moves only every R ms after nvmlInit_v2, as real ones do (~100 ms).
// instant=0: nvmlDeviceGetFieldValues answers NOT_SUPPORTED for NVML_FI_DEV_POWER_INSTANT (186),
// which otherwise reports power_w in mW, as a uint.
// pci=DOMAIN:BUS:DEVICE.FUNCTION (hex, as sysfs writes it): nvmlDeviceGetPciInfo_v3 reports
// that address, its busId with NVML's eight-digit domain; without it, NOT_SUPPORTED.
//
// An unreadable file or an unknown key makes nvmlInit_v2 fail with UNKNOWN (999) and say why on
// stderr. Inits are counted like NVML's: only the first of a series re-reads the file.
//
// With FAKE_NVML_WITHOUT_ENERGY_SYMBOL the energy getter is not exported at all (pre-Volta
// driver). The unversioned v1 entry points are exported and always fail, so that a loader
// resolving "nvmlInit" instead of "nvmlInit_v2" is caught.

#include <time.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

struct nvmlDevice_st {
  std::size_t index;
};
typedef nvmlDevice_st* nvmlDevice_t;

#define FAKE_NVML_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using Return = int;
constexpr Return kSuccess = 0;
constexpr Return kUninitialized = 1;
constexpr Return kInvalidArgument = 2;
constexpr Return kNotSupported = 3;
constexpr Return kInsufficientSize = 7;
constexpr Return kUnknown = 999;

constexpr std::size_t kMaxGpus = 16;

struct Gpu {
  std::string uuid;
  std::string name = "FakeGPU";
  double power_w = 100.0;
  bool energy = true;
  bool power = true;
  unsigned int limit_w = 0;
  double initial_mj = 0.0;
  long reset_after_reads = -1;  // -1: never
  long lost_after_reads = -1;   // -1: never
  Return lost_result = 15;
  long lost_calls = -1;  // -1: stays lost
  double util = 0.0;     // negative: not supported
  double busy_from_s = 0.0;
  double busy_until_s = 1e30;
  std::string busy_file;  // non-empty: busy only while this file exists
  std::string pci;        // sysfs form; empty: nvmlDeviceGetPciInfo_v3 is not supported
  double energy_cost_ms = 0.0;
  bool instant = true;
  double refresh_ms = 0.0;

  std::int64_t base_ns = 0;
  double base_mj = 0.0;
  long energy_reads = 0;
  long answered_reads = 0;
  long lost_answers = 0;
};

struct State {
  std::mutex mutex;
  int init_count = 0;
  std::size_t gpu_count = 0;
  std::int64_t init_ns = 0;
  std::array<Gpu, kMaxGpus> gpus;
  std::array<nvmlDevice_st, kMaxGpus> handles;
};

State& state() {
  static State s;
  return s;
}

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Spins until this thread has used `ms` of CPU: the cost of a driver call, not a sleep.
void burn_thread_cpu(double ms) {
  if (ms <= 0.0) return;
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  const double until =
      static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6 + ms;
  for (;;) {
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    if (static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6 >= until)
      return;
  }
}

bool parse_number(const std::string& text, double& out) {
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end != nullptr && *end == '\0';
}

bool apply_gpu_key(Gpu& gpu, const std::string& key, const std::string& value) {
  if (key == "uuid") {
    gpu.uuid = value;
    return true;
  }
  if (key == "name") {
    gpu.name = value;
    return true;
  }
  if (key == "busy_file") {
    gpu.busy_file = value;
    return true;
  }
  if (key == "pci") {
    gpu.pci = value;
    return true;
  }
  double number = 0.0;
  if (!parse_number(value, number)) return false;
  if (key == "power_w") {
    gpu.power_w = number;
  } else if (key == "energy") {
    gpu.energy = number != 0.0;
  } else if (key == "power") {
    gpu.power = number != 0.0;
  } else if (key == "limit_w") {
    gpu.limit_w = static_cast<unsigned int>(number);
  } else if (key == "initial_mj") {
    if (number < 0.0) return false;  // a negative count cast to unsigned would be undefined
    gpu.initial_mj = number;
  } else if (key == "reset_after_reads") {
    gpu.reset_after_reads = static_cast<long>(number);
  } else if (key == "lost_after_reads") {
    gpu.lost_after_reads = static_cast<long>(number);
  } else if (key == "lost_result") {
    gpu.lost_result = static_cast<Return>(number);
  } else if (key == "lost_calls") {
    gpu.lost_calls = static_cast<long>(number);
  } else if (key == "instant") {
    gpu.instant = number != 0.0;
  } else if (key == "energy_cost_ms") {
    if (number < 0.0) return false;
    gpu.energy_cost_ms = number;
  } else if (key == "refresh_ms") {
    if (number != 0.0 && number < 0.001) return false;  // a period of 0 ns would divide by 0
    gpu.refresh_ms = number;
  } else if (key == "util") {
    gpu.util = number;
  } else if (key == "busy_from_s") {
    gpu.busy_from_s = number;
  } else if (key == "busy_until_s") {
    gpu.busy_until_s = number;
  } else {
    return false;
  }
  return true;
}

// Replaces the whole state from the config file. A broken config is a test bug: say so loudly.
bool load_config(State& s, Return& init_result) {
  s.gpu_count = 0;
  init_result = kSuccess;
  const char* path = std::getenv("JT_FAKE_NVML_CONFIG");
  if (path == nullptr || *path == '\0') return true;
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "fake NVML: cannot open JT_FAKE_NVML_CONFIG=%s\n", path);
    return false;
  }
  const std::int64_t start = now_ns();
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    line = line.substr(0, line.find('#'));
    std::istringstream tokens(line);
    std::string token;
    Gpu* gpu = nullptr;
    while (tokens >> token) {
      if (token == "gpu" && gpu == nullptr) {
        if (s.gpu_count == kMaxGpus) {
          std::fprintf(stderr, "fake NVML: %s:%d: more than %zu GPUs\n", path, line_no, kMaxGpus);
          return false;
        }
        gpu = &s.gpus[s.gpu_count];
        *gpu = Gpu{};
        gpu->uuid = "GPU-fake-" + std::to_string(s.gpu_count);
        ++s.gpu_count;
        continue;
      }
      const auto eq = token.find('=');
      const std::string key = token.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : token.substr(eq + 1);
      double number = 0.0;
      bool ok = eq != std::string::npos;
      if (ok && gpu != nullptr) {
        ok = apply_gpu_key(*gpu, key, value);
      } else if (ok && key == "init_result" && parse_number(value, number)) {
        init_result = static_cast<Return>(number);
      } else {
        ok = false;
      }
      if (!ok) {
        std::fprintf(stderr, "fake NVML: %s:%d: cannot use '%s'\n", path, line_no, token.c_str());
        return false;
      }
    }
  }
  s.init_ns = start;
  for (std::size_t i = 0; i < s.gpu_count; ++i) {
    s.gpus[i].base_ns = start;
    s.gpus[i].base_mj = s.gpus[i].initial_mj;
    s.handles[i].index = i;
  }
  return true;
}

// Common entry checks: initialised, a handle we gave out, and the loss simulation.
// count_loss=false: the call fails like the others while the GPU is lost, but does not use up
// one of the lost_calls failures (utilisation is asked beside every energy read).
Return lookup(State& s, nvmlDevice_t device, Gpu*& gpu, bool count_loss = true) {
  if (s.init_count == 0) return kUninitialized;
  if (device == nullptr || device < s.handles.data() || device >= s.handles.data() + s.gpu_count) {
    return kInvalidArgument;
  }
  gpu = &s.gpus[device->index];
  const bool lost = gpu->lost_after_reads >= 0 && gpu->answered_reads >= gpu->lost_after_reads &&
                    (gpu->lost_calls < 0 || gpu->lost_answers < gpu->lost_calls);
  if (lost) {
    if (count_loss) ++gpu->lost_answers;
    return gpu->lost_result;
  }
  return kSuccess;
}

Return copy_string(const std::string& text, char* out, unsigned int length) {
  if (out == nullptr) return kInvalidArgument;
  if (text.size() + 1 > length) return kInsufficientSize;
  std::memcpy(out, text.c_str(), text.size() + 1);
  return kSuccess;
}

}  // namespace

FAKE_NVML_EXPORT Return nvmlInit_v2() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (s.init_count == 0) {
    Return init_result = kSuccess;
    if (!load_config(s, init_result)) return kUnknown;
    if (init_result != kSuccess) return init_result;
  }
  ++s.init_count;
  return kSuccess;
}

FAKE_NVML_EXPORT Return nvmlShutdown() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (s.init_count == 0) return kUninitialized;
  --s.init_count;
  return kSuccess;
}

FAKE_NVML_EXPORT const char* nvmlErrorString(Return result) {
  switch (result) {
    case 0: return "Success";
    case 1: return "Uninitialized";
    case 2: return "Invalid Argument";
    case 3: return "Not Supported";
    case 4: return "Insufficient Permissions";
    case 7: return "Insufficient Size";
    case 9: return "Driver Not Loaded";
    case 13: return "Function Not Found";
    case 15: return "GPU is lost";
    case 28: return "GPU not found";
    default: return "Unknown Error";
  }
}

FAKE_NVML_EXPORT Return nvmlDeviceGetCount_v2(unsigned int* count) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (s.init_count == 0) return kUninitialized;
  if (count == nullptr) return kInvalidArgument;
  *count = static_cast<unsigned int>(s.gpu_count);
  return kSuccess;
}

FAKE_NVML_EXPORT Return nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (s.init_count == 0) return kUninitialized;
  if (device == nullptr || index >= s.gpu_count) return kInvalidArgument;
  *device = &s.handles[index];
  return kSuccess;
}

FAKE_NVML_EXPORT Return nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid, unsigned int length) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  Gpu* gpu = nullptr;
  if (const Return rc = lookup(s, device, gpu); rc != kSuccess) return rc;
  return copy_string(gpu->uuid, uuid, length);
}

FAKE_NVML_EXPORT Return nvmlDeviceGetName(nvmlDevice_t device, char* name, unsigned int length) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  Gpu* gpu = nullptr;
  if (const Return rc = lookup(s, device, gpu); rc != kSuccess) return rc;
  return copy_string(gpu->name, name, length);
}

// nvml.h's nvmlPciInfo_t.
struct FakePciInfo {
  char bus_id_legacy[16];
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pci_device_id;
  unsigned int pci_sub_system_id;
  char bus_id[32];
};

FAKE_NVML_EXPORT Return nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, FakePciInfo* pci) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  Gpu* gpu = nullptr;
  if (const Return rc = lookup(s, device, gpu); rc != kSuccess) return rc;
  if (pci == nullptr) return kInvalidArgument;
  if (gpu->pci.empty()) return kNotSupported;
  unsigned int function = 0;
  *pci = FakePciInfo{};
  if (std::sscanf(gpu->pci.c_str(), "%x:%x:%x.%x", &pci->domain, &pci->bus, &pci->device,
                  &function) != 4) {
    return kUnknown;
  }
  std::snprintf(pci->bus_id, sizeof pci->bus_id, "%08X:%02X:%02X.%u", pci->domain, pci->bus,
                pci->device, function);
  std::snprintf(pci->bus_id_legacy, sizeof pci->bus_id_legacy, "%04X:%02X:%02X.%u", pci->domain,
                pci->bus, pci->device, function);
  return kSuccess;
}

// nvml.h's nvmlFieldValue_t.
struct FakeFieldValue {
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

FAKE_NVML_EXPORT Return nvmlDeviceGetFieldValues(nvmlDevice_t device, int count,
                                                 FakeFieldValue* values) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  Gpu* gpu = nullptr;
  if (const Return rc = lookup(s, device, gpu); rc != kSuccess) return rc;
  if (values == nullptr || count < 0) return kInvalidArgument;
  for (int i = 0; i < count; ++i) {
    FakeFieldValue& v = values[i];
    v.timestamp = now_ns() / 1000;
    v.latency_usec = 0;
    if (v.field_id != 186 || !gpu->instant || !gpu->power) {
      v.nvml_return = kNotSupported;
      continue;
    }
    v.value_type = 1;  // NVML_VALUE_TYPE_UNSIGNED_INT
    v.value.ui = static_cast<unsigned int>(gpu->power_w * 1000.0);
    v.nvml_return = kSuccess;
    ++gpu->answered_reads;
  }
  return kSuccess;
}

#ifndef FAKE_NVML_WITHOUT_ENERGY_SYMBOL
FAKE_NVML_EXPORT Return nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device,
                                                            unsigned long long* energy) {
  State& s = state();
  double cost_ms = 0.0;
  {
    // Burnt outside the lock: a driver's slow call does not hold up the other GPUs' reads.
    std::lock_guard lock(s.mutex);
    Gpu* gpu = nullptr;
    if (lookup(s, device, gpu, /*count_loss=*/false) == kSuccess) cost_ms = gpu->energy_cost_ms;
  }
  burn_thread_cpu(cost_ms);
  std::lock_guard lock(s.mutex);
  Gpu* gpu = nullptr;
  if (const Return rc = lookup(s, device, gpu); rc != kSuccess) return rc;
  if (!gpu->energy) return kNotSupported;
  if (energy == nullptr) return kInvalidArgument;
  std::int64_t now = now_ns();
  if (gpu->refresh_ms > 0.0) {
    const auto period = static_cast<std::int64_t>(gpu->refresh_ms * 1e6);
    now = s.init_ns + (now - s.init_ns) / period * period;
  }
  const double mj = gpu->base_mj + gpu->power_w * static_cast<double>(now - gpu->base_ns) * 1e-6;
  *energy = static_cast<unsigned long long>(mj);
  ++gpu->answered_reads;
  if (++gpu->energy_reads == gpu->reset_after_reads) {
    gpu->base_ns = now;
    gpu->base_mj = 0.0;
  }
  return kSuccess;
}
#endif

FAKE_NVML_EXPORT Return nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int* power) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  Gpu* gpu = nullptr;
  if (const Return rc = lookup(s, device, gpu); rc != kSuccess) return rc;
  if (!gpu->power) return kNotSupported;
  if (power == nullptr) return kInvalidArgument;
  *power = static_cast<unsigned int>(gpu->power_w * 1000.0);
  ++gpu->answered_reads;
  return kSuccess;
}

FAKE_NVML_EXPORT Return nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t device, unsigned int* limit) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  Gpu* gpu = nullptr;
  if (const Return rc = lookup(s, device, gpu); rc != kSuccess) return rc;
  if (gpu->limit_w == 0) return kNotSupported;
  if (limit == nullptr) return kInvalidArgument;
  *limit = gpu->limit_w * 1000;
  return kSuccess;
}

struct FakeUtilization {
  unsigned int gpu;
  unsigned int memory;
};

FAKE_NVML_EXPORT Return nvmlDeviceGetUtilizationRates(nvmlDevice_t device,
                                                      FakeUtilization* utilization) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  Gpu* gpu = nullptr;
  if (const Return rc = lookup(s, device, gpu, false); rc != kSuccess) return rc;
  if (gpu->util < 0.0) return kNotSupported;
  if (utilization == nullptr) return kInvalidArgument;
  const double since_init_s = static_cast<double>(now_ns() - s.init_ns) * 1e-9;
  bool busy = since_init_s >= gpu->busy_from_s && since_init_s < gpu->busy_until_s;
  if (!gpu->busy_file.empty()) busy = busy && ::access(gpu->busy_file.c_str(), F_OK) == 0;
  utilization->gpu = busy ? static_cast<unsigned int>(gpu->util) : 0U;
  utilization->memory = utilization->gpu / 2;
  return kSuccess;
}

// The v1 ABI. nvml.h maps these names to the _v2 entry points, so a correct loader never
// resolves them; if one does, fail loudly rather than behave plausibly.
FAKE_NVML_EXPORT Return nvmlInit() {
  std::fprintf(stderr, "fake NVML: legacy nvmlInit called; resolve nvmlInit_v2\n");
  return kUnknown;
}

FAKE_NVML_EXPORT Return nvmlDeviceGetCount(unsigned int*) {
  std::fprintf(stderr, "fake NVML: legacy nvmlDeviceGetCount called; resolve the _v2 name\n");
  return kUnknown;
}

FAKE_NVML_EXPORT Return nvmlDeviceGetHandleByIndex(unsigned int, nvmlDevice_t*) {
  std::fprintf(stderr,
               "fake NVML: legacy nvmlDeviceGetHandleByIndex called; resolve the _v2 name\n");
  return kUnknown;
}
