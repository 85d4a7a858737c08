// SPDX-License-Identifier: BSD-3-Clause
// A fake librocm_smi64.so, loaded by tests through the production dlopen loader
// (docs/backends/amd.md lists the entry points; rocm_smi.h gives their signatures).
//
// Configuration: $JT_FAKE_ROCM_SMI_CONFIG names a text file, read at each first rsmi_init of a
// series (inits are counted like the real library's). Without it: a machine with no AMD GPU.
// One item per line, '#' comments, whitespace-separated key=value:
//
//   init_result=8        rsmi_init returns this rsmi_status_t (default 0)
//   gpu name=AMD_Instinct_MI250X unique_id=1a2b pci=0000:c1:00.0 power_w=300 resolution_uj=15.3
//       energy=1 power=1 cap_w=560 busy=80 initial_uj=0 reset_after_reads=N lost_after_reads=N
//       lost_result=10
//
// '_' in a name reads as a space. Energy in uJ is initial_uj + power_w * 1e6 * (CLOCK_MONOTONIC
// seconds since rsmi_init); the counter reports it in units of resolution_uj (default 15.3, as
// MI200 firmware). energy=0 / power=0 make those getters NOT_SUPPORTED; cap_w=0 (default) the cap;
// busy=-1 the busy percent; unique_id=0 (default) the unique id; without pci, the PCI id.
// reset_after_reads=N: after the Nth successful energy read the counter restarts from 0 (a
// driver reload). lost_after_reads=N: once the GPU answered N energy-or-power reads, every call
// on it returns lost_result (default NOT_FOUND, 10).
//
// With FAKE_ROCM_SMI_WITHOUT_ENERGY_SYMBOL, rsmi_dev_energy_count_get is not exported (a ROCm
// SMI older than 4.x).

#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using Status = std::uint32_t;
constexpr Status kSuccess = 0;
constexpr Status kInvalidArgs = 1;
constexpr Status kNotSupported = 2;
constexpr Status kInputOutOfBounds = 7;
constexpr Status kUnknown = 0xFFFFFFFF;

struct Gpu {
  std::string name = "FakeAMDGPU";
  std::uint64_t unique_id = 0;
  bool has_pci = false;
  std::uint64_t bdfid = 0;
  double power_w = 100.0;
  double resolution_uj = 15.3;
  bool energy = true;
  bool power = true;
  double cap_w = 0.0;
  long busy = 0;
  double initial_uj = 0.0;
  long reset_after_reads = -1;
  long lost_after_reads = -1;
  Status lost_result = 10;
  // state
  long energy_reads = 0;
  long reads = 0;
  double reset_at_s = -1.0;
};

struct State {
  std::mutex mutex;
  int inits = 0;
  Status init_result = kSuccess;
  std::vector<Gpu> gpus;
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

bool parse_pci(const std::string& text, std::uint64_t& bdfid) {
  unsigned domain = 0, bus = 0, device = 0, function = 0;
  if (std::sscanf(text.c_str(), "%x:%x:%x.%x", &domain, &bus, &device, &function) != 4) {
    return false;
  }
  bdfid = (static_cast<std::uint64_t>(domain) << 32) | ((bus & 0xFFU) << 8) |
          ((device & 0x1FU) << 3) | (function & 0x7U);
  return true;
}

bool apply_gpu_key(Gpu& gpu, const std::string& key, const std::string& value) {
  if (key == "name") {
    gpu.name = value;
    for (char& c : gpu.name) c = c == '_' ? ' ' : c;
  } else if (key == "unique_id") {
    gpu.unique_id = std::strtoull(value.c_str(), nullptr, 16);
  } else if (key == "pci") {
    gpu.has_pci = parse_pci(value, gpu.bdfid);
    return gpu.has_pci;
  } else if (key == "power_w") {
    gpu.power_w = std::atof(value.c_str());
  } else if (key == "resolution_uj") {
    gpu.resolution_uj = std::atof(value.c_str());
  } else if (key == "energy") {
    gpu.energy = value != "0";
  } else if (key == "power") {
    gpu.power = value != "0";
  } else if (key == "cap_w") {
    gpu.cap_w = std::atof(value.c_str());
  } else if (key == "busy") {
    gpu.busy = std::atol(value.c_str());
  } else if (key == "initial_uj") {
    gpu.initial_uj = std::atof(value.c_str());
  } else if (key == "reset_after_reads") {
    gpu.reset_after_reads = std::atol(value.c_str());
  } else if (key == "lost_after_reads") {
    gpu.lost_after_reads = std::atol(value.c_str());
  } else if (key == "lost_result") {
    gpu.lost_result = static_cast<Status>(std::strtoul(value.c_str(), nullptr, 10));
  } else {
    return false;
  }
  return true;
}

bool load_config(State& s) {
  s.gpus.clear();
  s.init_result = kSuccess;
  const char* path = std::getenv("JT_FAKE_ROCM_SMI_CONFIG");
  if (path == nullptr) return true;
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "fake_rocm_smi: cannot read %s\n", path);
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream words(line);
    std::string word;
    bool in_gpu = false;
    while (words >> word) {
      if (word == "gpu") {
        s.gpus.emplace_back();
        in_gpu = true;
        continue;
      }
      const auto eq = word.find('=');
      const std::string key = word.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : word.substr(eq + 1);
      if (!in_gpu && key == "init_result") {
        s.init_result = static_cast<Status>(std::strtoul(value.c_str(), nullptr, 10));
      } else if (!in_gpu || !apply_gpu_key(s.gpus.back(), key, value)) {
        std::fprintf(stderr, "fake_rocm_smi: bad item '%s'\n", word.c_str());
        return false;
      }
    }
  }
  return true;
}

// The GPU at `index`, or an error status: out of bounds, or lost.
Status gpu_at(std::uint32_t index, Gpu*& gpu) {
  State& s = state();
  if (s.inits == 0) return kUnknown;
  if (index >= s.gpus.size()) return kInputOutOfBounds;
  gpu = &s.gpus[index];
  if (gpu->lost_after_reads >= 0 && gpu->reads >= gpu->lost_after_reads) return gpu->lost_result;
  return kSuccess;
}

}  // namespace

FAKE_EXPORT Status rsmi_init(std::uint64_t) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (s.inits == 0) {
    if (!load_config(s)) return kUnknown;
    if (s.init_result != kSuccess) return s.init_result;
    s.start_s = now_s();
  }
  ++s.inits;
  return kSuccess;
}

FAKE_EXPORT Status rsmi_shut_down() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (s.inits > 0) --s.inits;
  return kSuccess;
}

FAKE_EXPORT Status rsmi_status_string(Status status, const char** text) {
  if (text == nullptr) return kInvalidArgs;
  switch (status) {
    case kSuccess:
      *text = "RSMI_STATUS_SUCCESS: The function has been executed successfully.";
      break;
    case kNotSupported: *text = "RSMI_STATUS_NOT_SUPPORTED: Feature not supported"; break;
    case 4: *text = "RSMI_STATUS_PERMISSION: The user does not have permission"; break;
    case 8: *text = "RSMI_STATUS_INIT_ERROR: An error occurred during initialization"; break;
    case 10: *text = "RSMI_STATUS_NOT_FOUND: An item was searched for but not found"; break;
    default: *text = "RSMI_STATUS_UNKNOWN_ERROR: An unknown error occurred"; break;
  }
  return kSuccess;
}

FAKE_EXPORT Status rsmi_num_monitor_devices(std::uint32_t* count) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (count == nullptr) return kInvalidArgs;
  if (s.inits == 0) return kUnknown;
  *count = static_cast<std::uint32_t>(s.gpus.size());
  return kSuccess;
}

#ifndef FAKE_ROCM_SMI_WITHOUT_ENERGY_SYMBOL
FAKE_EXPORT Status rsmi_dev_energy_count_get(std::uint32_t index, std::uint64_t* count,
                                             float* resolution, std::uint64_t* timestamp) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (count == nullptr || resolution == nullptr || timestamp == nullptr) return kInvalidArgs;
  Gpu* gpu = nullptr;
  if (const Status st = gpu_at(index, gpu); st != kSuccess) return st;
  if (!gpu->energy) return kNotSupported;
  const double t = now_s();
  const double since = gpu->reset_at_s >= 0 ? t - gpu->reset_at_s : t - s.start_s;
  const double base = gpu->reset_at_s >= 0 ? 0.0 : gpu->initial_uj;
  const double uj = base + gpu->power_w * 1e6 * since;
  *count = static_cast<std::uint64_t>(uj / gpu->resolution_uj);
  *resolution = static_cast<float>(gpu->resolution_uj);
  *timestamp = static_cast<std::uint64_t>(t * 1e9);
  ++gpu->reads;
  if (++gpu->energy_reads == gpu->reset_after_reads) gpu->reset_at_s = t;
  return kSuccess;
}
#endif

FAKE_EXPORT Status rsmi_dev_power_ave_get(std::uint32_t index, std::uint32_t, std::uint64_t* uw) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (uw == nullptr) return kInvalidArgs;
  Gpu* gpu = nullptr;
  if (const Status st = gpu_at(index, gpu); st != kSuccess) return st;
  if (!gpu->power) return kNotSupported;
  *uw = static_cast<std::uint64_t>(gpu->power_w * 1e6);
  ++gpu->reads;
  return kSuccess;
}

FAKE_EXPORT Status rsmi_dev_power_cap_get(std::uint32_t index, std::uint32_t, std::uint64_t* uw) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (uw == nullptr) return kInvalidArgs;
  Gpu* gpu = nullptr;
  if (const Status st = gpu_at(index, gpu); st != kSuccess) return st;
  if (gpu->cap_w <= 0) return kNotSupported;
  *uw = static_cast<std::uint64_t>(gpu->cap_w * 1e6);
  return kSuccess;
}

FAKE_EXPORT Status rsmi_dev_unique_id_get(std::uint32_t index, std::uint64_t* id) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (id == nullptr) return kInvalidArgs;
  Gpu* gpu = nullptr;
  if (const Status st = gpu_at(index, gpu); st != kSuccess) return st;
  if (gpu->unique_id == 0) return kNotSupported;
  *id = gpu->unique_id;
  return kSuccess;
}

FAKE_EXPORT Status rsmi_dev_pci_id_get(std::uint32_t index, std::uint64_t* bdfid) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (bdfid == nullptr) return kInvalidArgs;
  Gpu* gpu = nullptr;
  if (const Status st = gpu_at(index, gpu); st != kSuccess) return st;
  if (!gpu->has_pci) return kNotSupported;
  *bdfid = gpu->bdfid;
  return kSuccess;
}

FAKE_EXPORT Status rsmi_dev_name_get(std::uint32_t index, char* name, std::size_t len) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (name == nullptr || len == 0) return kInvalidArgs;
  Gpu* gpu = nullptr;
  if (const Status st = gpu_at(index, gpu); st != kSuccess) return st;
  std::snprintf(name, len, "%s", gpu->name.c_str());
  return kSuccess;
}

FAKE_EXPORT Status rsmi_dev_busy_percent_get(std::uint32_t index, std::uint32_t* busy) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (busy == nullptr) return kInvalidArgs;
  Gpu* gpu = nullptr;
  if (const Status st = gpu_at(index, gpu); st != kSuccess) return st;
  if (gpu->busy < 0) return kNotSupported;
  *busy = static_cast<std::uint32_t>(gpu->busy);
  return kSuccess;
}
