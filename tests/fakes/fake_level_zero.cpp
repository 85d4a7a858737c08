// SPDX-License-Identifier: BSD-3-Clause
// A fake libze_loader.so.1 with Sysman, loaded by tests through the production dlopen loader
// (docs/backends/intel.md lists the entry points; zes_api.h gives their signatures). Its own
// declarations of the structures, written from zes_api.h, not the backend's.
//
// Built twice: as a loader from 1.5 on (zesInit, zesDriverGet, zesDeviceGet), and with
// JT_FAKE_ZE_LEGACY as an older one like Debian 12's libze1 1.8 (zeInit, zeDriverGet,
// zeDeviceGet only), whose Sysman calls answer ZE_RESULT_ERROR_UNINITIALIZED unless
// ZES_ENABLE_SYSMAN was "1" when zeInit ran.
//
// Configuration: $JT_FAKE_LEVEL_ZERO_CONFIG names a text file, read at the first zesInit.
// Without it: a machine with no Intel GPU. One item per line, '#' comments:
//
//   init_result=2013265921   zesInit returns this ze_result_t, in decimal (default 0)
//   device name=Intel_Max_1550 uuid=<32 hex digits> pci=0000:29:00.0 power_w=600 tiles=2
//          tile_w=250 device_domain=1 limit_w=600 lost_after_reads=N busy=P
//
// '_' in a name reads as a space. The device's own power domain (device_domain=0: none, as on
// some i915 kernels) counts power_w; each of `tiles` tile domains counts tile_w; energy in uJ is
// watts * 1e6 * (CLOCK_MONOTONIC seconds since zesInit). lost_after_reads=N: after N energy
// reads of the device's domains, every call on them answers ZE_RESULT_ERROR_DEVICE_LOST.
// busy=P: the device's one all-engines group (ZES_ENGINE_GROUP_ALL) is active P % of the time
// since zesInit; busy=-1: the device has no engine group.

#include <time.h>

#include <array>
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
#ifdef JT_FAKE_ZE_LEGACY
#define FAKE_INIT zeInit
#define FAKE_DRIVER_GET zeDriverGet
#define FAKE_DEVICE_GET zeDeviceGet
#else
#define FAKE_INIT zesInit
#define FAKE_DRIVER_GET zesDriverGet
#define FAKE_DEVICE_GET zesDeviceGet
#endif

namespace {

using Result = int;
constexpr Result kSuccess = 0;
constexpr Result kDeviceLost = 0x70000001;
constexpr Result kUninitialized = 0x78000001;
constexpr Result kInvalidArgument = 0x78000004;
constexpr Result kUnknown = 0x7ffffffe;

struct CoreProperties {  // ze_device_properties_t
  int stype;
  void* pNext;
  int type;
  std::uint32_t vendorId, deviceId, flags, subdeviceId, coreClockRate;
  std::uint64_t maxMemAllocSize;
  std::uint32_t maxHardwareContexts, maxCommandQueuePriority, numThreadsPerEU, physicalEUSimdWidth,
      numEUsPerSubslice, numSubslicesPerSlice, numSlices;
  std::uint64_t timerResolution;
  std::uint32_t timestampValidBits, kernelTimestampValidBits;
  std::uint8_t uuid[16];
  char name[256];
};
struct DeviceProperties {  // zes_device_properties_t
  int stype;
  void* pNext;
  CoreProperties core;
  std::uint32_t numSubdevices;
  char serialNumber[64], boardNumber[64], brandName[64], modelName[64], vendorName[64],
      driverVersion[64];
};
struct PciProperties {  // zes_pci_properties_t
  int stype;
  void* pNext;
  std::uint32_t domain, bus, device, function;
  std::int32_t gen, width;
  std::int64_t maxBandwidth;
  std::uint8_t haveBandwidthCounters, havePacketCounters, haveReplayCounters;
};
struct PowerProperties {  // zes_power_properties_t
  int stype;
  void* pNext;
  std::uint8_t onSubdevice;
  std::uint32_t subdeviceId;
  std::uint8_t canControl, isEnergyThresholdSupported;
  std::int32_t defaultLimit, minLimit, maxLimit;
};
struct EngineProperties {  // zes_engine_properties_t
  int stype;
  void* pNext;
  int type;
  std::uint8_t onSubdevice;
  std::uint32_t subdeviceId;
};
struct EngineStats {  // zes_engine_stats_t
  std::uint64_t activeTime;
  std::uint64_t timestamp;
};
struct EnergyCounter {  // zes_power_energy_counter_t
  std::uint64_t energy;
  std::uint64_t timestamp;
};

struct Device;
struct Domain {
  Device* device;
  int tile;  // -1: the device's own
};
struct Device {
  std::string name = "Intel GPU";
  std::uint8_t uuid[16] = {};
  std::uint32_t pci[4] = {0, 0, 0, 0};
  double power_w = 100.0;
  int tiles = 0;
  double tile_w = 50.0;
  bool device_domain = true;
  double limit_w = 0.0;
  long lost_after_reads = -1;
  long busy = 0;
  long reads = 0;
  std::deque<Domain> domains;
};

struct State {
  std::mutex mutex;
  bool initialised = false;
  bool sysman = false;  // Sysman enabled at initialisation
  Result init_result = kSuccess;
  std::deque<Device> devices;
  double start_s = 0.0;
  int driver = 0;  // the one driver's handle points here
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

bool apply_key(Device& d, const std::string& key, const std::string& value) {
  if (key == "name") {
    d.name = value;
    for (char& c : d.name) c = c == '_' ? ' ' : c;
  } else if (key == "uuid") {
    for (std::size_t i = 0; i < 16 && 2 * i + 1 < value.size(); ++i) {
      d.uuid[i] =
          static_cast<std::uint8_t>(std::strtoul(value.substr(2 * i, 2).c_str(), nullptr, 16));
    }
  } else if (key == "pci") {
    return std::sscanf(value.c_str(), "%x:%x:%x.%x", &d.pci[0], &d.pci[1], &d.pci[2], &d.pci[3]) ==
           4;
  } else if (key == "power_w") {
    d.power_w = std::atof(value.c_str());
  } else if (key == "tiles") {
    d.tiles = std::atoi(value.c_str());
  } else if (key == "tile_w") {
    d.tile_w = std::atof(value.c_str());
  } else if (key == "device_domain") {
    d.device_domain = value != "0";
  } else if (key == "limit_w") {
    d.limit_w = std::atof(value.c_str());
  } else if (key == "lost_after_reads") {
    d.lost_after_reads = std::atol(value.c_str());
  } else if (key == "busy") {
    d.busy = std::atol(value.c_str());
  } else {
    return false;
  }
  return true;
}

bool load_config(State& s) {
  const char* path = std::getenv("JT_FAKE_LEVEL_ZERO_CONFIG");
  if (path == nullptr) return true;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream words(line);
    std::string word;
    Device* device = nullptr;
    while (words >> word) {
      if (word == "device") {
        device = &s.devices.emplace_back();
        continue;
      }
      const auto eq = word.find('=');
      const std::string key = word.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : word.substr(eq + 1);
      if (device == nullptr && key == "init_result") {
        s.init_result = static_cast<Result>(std::strtol(value.c_str(), nullptr, 10));
      } else if (device == nullptr || !apply_key(*device, key, value)) {
        std::fprintf(stderr, "fake_level_zero: bad item '%s'\n", word.c_str());
        return false;
      }
    }
  }
  for (Device& d : s.devices) {
    if (d.device_domain) d.domains.push_back({&d, -1});
    for (int t = 0; t < d.tiles; ++t) d.domains.push_back({&d, t});
  }
  return true;
}

bool lost(const Device& d) { return d.lost_after_reads >= 0 && d.reads >= d.lost_after_reads; }

// The two-call enumeration: the count, then up to *count handles.
template <typename Handle, typename Container, typename Make>
Result list(std::uint32_t* count, Handle* out, Container& items, Make make) {
  if (count == nullptr) return kInvalidArgument;
  if (out == nullptr || *count == 0) {
    *count = static_cast<std::uint32_t>(items.size());
    return kSuccess;
  }
  std::uint32_t n = 0;
  for (auto& item : items) {
    if (n == *count) break;
    out[n++] = make(item);
  }
  *count = n;
  return kSuccess;
}

}  // namespace

bool sysman_enabled_at_init() {
#ifdef JT_FAKE_ZE_LEGACY
  const char* value = std::getenv("ZES_ENABLE_SYSMAN");
  return value != nullptr && std::strcmp(value, "1") == 0;
#else
  return true;
#endif
}

FAKE_EXPORT Result FAKE_INIT(std::uint32_t) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (s.initialised) return kSuccess;
  if (!load_config(s)) return kUnknown;
  if (s.init_result != kSuccess) return s.init_result;
  s.initialised = true;
  s.sysman = sysman_enabled_at_init();
  s.start_s = now_s();
  return kSuccess;
}

FAKE_EXPORT Result FAKE_DRIVER_GET(std::uint32_t* count, void** drivers) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (!s.initialised) return kUninitialized;
  std::array<int*, 1> one{&s.driver};
  return list(count, drivers, one, [](int* d) { return static_cast<void*>(d); });
}

FAKE_EXPORT Result FAKE_DEVICE_GET(void*, std::uint32_t* count, void** devices) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (!s.initialised) return kUninitialized;
  return list(count, devices, s.devices, [](Device& d) { return static_cast<void*>(&d); });
}

FAKE_EXPORT Result zesDeviceGetProperties(void* handle, DeviceProperties* properties) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  auto* d = static_cast<Device*>(handle);
  if (!s.sysman) return kUninitialized;
  if (d == nullptr || properties == nullptr) return kInvalidArgument;
  if (lost(*d)) return kDeviceLost;
  std::memcpy(properties->core.uuid, d->uuid, sizeof d->uuid);
  std::snprintf(properties->core.name, sizeof properties->core.name, "%s", d->name.c_str());
  properties->numSubdevices = static_cast<std::uint32_t>(d->tiles);
  return kSuccess;
}

FAKE_EXPORT Result zesDevicePciGetProperties(void* handle, PciProperties* properties) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  auto* d = static_cast<Device*>(handle);
  if (d == nullptr || properties == nullptr) return kInvalidArgument;
  properties->domain = d->pci[0];
  properties->bus = d->pci[1];
  properties->device = d->pci[2];
  properties->function = d->pci[3];
  return kSuccess;
}

FAKE_EXPORT Result zesDeviceEnumPowerDomains(void* handle, std::uint32_t* count, void** powers) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  auto* d = static_cast<Device*>(handle);
  if (!s.sysman) return kUninitialized;
  if (d == nullptr) return kInvalidArgument;
  return list(count, powers, d->domains, [](Domain& p) { return static_cast<void*>(&p); });
}

FAKE_EXPORT Result zesPowerGetProperties(void* handle, PowerProperties* properties) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  auto* p = static_cast<Domain*>(handle);
  if (p == nullptr || properties == nullptr) return kInvalidArgument;
  properties->onSubdevice = p->tile >= 0 ? 1 : 0;
  properties->subdeviceId = p->tile >= 0 ? static_cast<std::uint32_t>(p->tile) : 0;
  properties->defaultLimit = p->tile < 0 && p->device->limit_w > 0
                                 ? static_cast<std::int32_t>(p->device->limit_w * 1000)
                                 : -1;
  return kSuccess;
}

FAKE_EXPORT Result zesPowerGetEnergyCounter(void* handle, EnergyCounter* counter) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  auto* p = static_cast<Domain*>(handle);
  if (p == nullptr || counter == nullptr) return kInvalidArgument;
  if (lost(*p->device)) return kDeviceLost;
  ++p->device->reads;
  const double t = now_s();
  const double watts = p->tile < 0 ? p->device->power_w : p->device->tile_w;
  counter->energy = static_cast<std::uint64_t>(watts * 1e6 * (t - s.start_s));
  counter->timestamp = static_cast<std::uint64_t>(t * 1e6);
  return kSuccess;
}

FAKE_EXPORT Result zesDeviceEnumEngineGroups(void* handle, std::uint32_t* count, void** engines) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  auto* d = static_cast<Device*>(handle);
  if (d == nullptr) return kInvalidArgument;
  std::deque<Device*> groups;
  if (d->busy >= 0) groups.push_back(d);  // the engine group's handle is its device's
  return list(count, engines, groups, [](Device* g) { return static_cast<void*>(g); });
}

FAKE_EXPORT Result zesEngineGetProperties(void* handle, EngineProperties* properties) {
  if (handle == nullptr || properties == nullptr) return kInvalidArgument;
  properties->type = 0;  // ZES_ENGINE_GROUP_ALL
  properties->onSubdevice = 0;
  properties->subdeviceId = 0;
  return kSuccess;
}

FAKE_EXPORT Result zesEngineGetActivity(void* handle, EngineStats* stats) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  auto* d = static_cast<Device*>(handle);
  if (d == nullptr || stats == nullptr) return kInvalidArgument;
  if (lost(*d)) return kDeviceLost;
  const double elapsed_us = (now_s() - s.start_s) * 1e6;
  stats->timestamp = static_cast<std::uint64_t>(elapsed_us);
  stats->activeTime = static_cast<std::uint64_t>(elapsed_us * static_cast<double>(d->busy) / 100.0);
  return kSuccess;
}
