// SPDX-License-Identifier: BSD-3-Clause
// A scripted libnvidia-ml for the nvml_sequence fuzz target: every NVML call the backend makes is
// answered from a byte script, in the order the calls come, so the fuzzer decides each return
// code and value. Built as 64 shared libraries from this one object (fuzz/CMakeLists.txt): the
// variant's version script leaves out the optional entry points of its mask (see
// kJtFuzzNvmlOptionalSymbols), because whether dlsym finds a symbol is fixed per file.
//
// Script, consumed front to back; a byte past the end reads as 0, except a return code past the
// end, which is NVML_ERROR_UNKNOWN (999), so an exhausted script is a driver that fails:
//   return code (every scripted call): 1 byte, 0x00-0x9F NVML_SUCCESS, 0xA0-0xFE the documented
//     code kCodes[(b - 0xA0) % 12], 0xFF a 4-byte little-endian int (any code, 0 included).
//   After NVML_SUCCESS only, the call's value:
//     nvmlDeviceGetCount_v2                  1 byte, the count (0-255)
//     nvmlDeviceGetUUID / GetName            1 byte length L, then L bytes (NULs allowed); the
//                                            buffer gets min(L, size) of them and a terminating
//                                            NUL only when L < size
//     nvmlDeviceGetTotalEnergyConsumption    1 byte mode & 3: 0 +u16, 1 +u32, 2 =u64, 3 -u16 on
//                                            the device's counter (starts at 0, wraps as u64)
//     nvmlDeviceGetPowerUsage / EnforcedPowerLimit  1 byte b: b x 4 W, or 0xFF then u32 mW
//     nvmlDeviceGetUtilizationRates          gpu % (1 byte, or 0xFF then u32), memory % (1 byte)
//   nvmlInit_v2 and nvmlDeviceGetHandleByIndex_v2 take only the return code. Not scripted:
//   nvmlShutdown (NVML's init count) and nvmlErrorString (NVML's text for a documented code,
//   NULL for any other, which real NVML never returns but the loader must survive).
//
// It also enforces what NVML requires of its caller and aborts otherwise (a fuzz crash): no
// device call before a successful nvmlInit_v2 or after the matching nvmlShutdown, no index past
// the count, no handle it did not hand out, no null output. On a failure it scribbles over the
// outputs, so a caller that uses them anyway shows.

#include "nvml_script_library.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

struct nvmlDevice_st {
  unsigned int index;
};
typedef nvmlDevice_st* nvmlDevice_t;

namespace {

using Return = int;
constexpr Return kSuccess = 0;
constexpr Return kUninitialized = 1;
constexpr Return kGpuIsLost = 15;
constexpr Return kGpuNotFound = 28;
constexpr Return kUnknown = 999;
// The codes src/sensors/nvml/nvml_library.hpp names (docs/backends/nvml.md F3).
constexpr Return kCodes[] = {1, 2, 3, 4, 6, 7, 9, 12, 13, 15, 28, 999};

constexpr std::uint8_t kPoisonByte = 0xA5;

struct Device {
  bool handed_out = false;
  std::uint64_t energy_mj = 0;
  JtFuzzNvmlDevice seen{};
};

struct State {
  std::vector<std::uint8_t> script;
  std::size_t cursor = 0;
  std::uint64_t init_count = 0;  // NVML counts inits; each shutdown undoes one
  JtFuzzNvmlStats stats{};
  nvmlDevice_st handles[kJtFuzzNvmlMaxDevices];
  Device devices[kJtFuzzNvmlMaxDevices];
};

State& state() {
  static State s;
  return s;
}

[[noreturn]] void violated(const char* what) {
  std::fprintf(stderr, "invariant failed: NVML caller contract: %s\n", what);
  std::abort();
}

std::uint8_t next_byte() {
  State& s = state();
  if (s.cursor >= s.script.size()) return 0;
  return s.script[s.cursor++];
}

std::uint64_t next_le(int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= std::uint64_t{next_byte()} << (8 * i);
  return value;
}

Return next_rc() {
  State& s = state();
  ++s.stats.calls;
  if (s.cursor >= s.script.size()) return kUnknown;
  const std::uint8_t b = next_byte();
  if (b < 0xA0) return kSuccess;
  if (b < 0xFF) return kCodes[(b - 0xA0) % std::size(kCodes)];
  return static_cast<Return>(static_cast<std::uint32_t>(next_le(4)));
}

unsigned int next_power_mw() {
  const std::uint8_t b = next_byte();
  return b != 0xFF ? b * 4000U : static_cast<unsigned int>(next_le(4));
}

void require_initialised() {
  if (state().init_count == 0) violated("NVML called before nvmlInit_v2 or after nvmlShutdown");
}

// The device behind a handle this library handed out; anything else is a caller bug.
Device& device_of(nvmlDevice_t handle) {
  require_initialised();
  State& s = state();
  // Compared as integers: a stray pointer is not in the array, so pointer comparison would be
  // unspecified.
  const auto first = reinterpret_cast<std::uintptr_t>(&s.handles[0]);
  const auto at = reinterpret_cast<std::uintptr_t>(handle);
  if (at < first || at >= first + sizeof s.handles || (at - first) % sizeof(nvmlDevice_st) != 0) {
    violated("a device handle nvmlDeviceGetHandleByIndex_v2 never returned");
  }
  Device& device = s.devices[(at - first) / sizeof(nvmlDevice_st)];
  if (!device.handed_out) violated("a device handle not handed out for this run");
  ++device.seen.calls;
  return device;
}

// The answer to one call on a device, with the loss bookkeeping the fuzzer checks against.
Return device_rc(Device& device) {
  const Return rc = next_rc();
  if (rc == kGpuIsLost || rc == kGpuNotFound) ++device.seen.lost_answers;
  return rc;
}

Return string_call(nvmlDevice_t handle, char* buffer, unsigned int length) {
  Device& device = device_of(handle);
  if (buffer == nullptr || length == 0) violated("string getter without a buffer");
  const Return rc = device_rc(device);
  if (rc != kSuccess) {
    std::memset(buffer, kPoisonByte, length);
    return rc;
  }
  const std::size_t wanted = next_byte();
  for (std::size_t i = 0; i < wanted; ++i) {
    const auto c = static_cast<char>(next_byte());
    if (i < length) buffer[i] = c;
  }
  if (wanted < length) buffer[wanted] = '\0';
  return rc;
}

}  // namespace

#define JT_FUZZ_NVML_EXPORT extern "C" __attribute__((visibility("default")))

JT_FUZZ_NVML_EXPORT void jt_fuzz_nvml_set_script(const std::uint8_t* data, std::size_t size) {
  State& s = state();
  s.script.assign(data, data + size);
  s.cursor = 0;
  s.init_count = 0;
  s.stats = {};
  for (unsigned int i = 0; i < kJtFuzzNvmlMaxDevices; ++i) {
    s.handles[i].index = i;
    s.devices[i] = Device{};
  }
}

JT_FUZZ_NVML_EXPORT void jt_fuzz_nvml_stats(JtFuzzNvmlStats* out) {
  State& s = state();
  s.stats.script_left = static_cast<std::uint32_t>(s.script.size() - s.cursor);
  *out = s.stats;
}

JT_FUZZ_NVML_EXPORT int jt_fuzz_nvml_device(unsigned int index, JtFuzzNvmlDevice* out) {
  if (index >= kJtFuzzNvmlMaxDevices) return -1;
  *out = state().devices[index].seen;
  return 0;
}

JT_FUZZ_NVML_EXPORT Return nvmlInit_v2() {
  State& s = state();
  ++s.stats.init_calls;
  const Return rc = next_rc();
  s.stats.init_result = rc;
  if (rc == kSuccess) {
    ++s.init_count;
    ++s.stats.init_successes;
  }
  return rc;
}

JT_FUZZ_NVML_EXPORT Return nvmlShutdown() {
  State& s = state();
  if (s.init_count == 0) {
    ++s.stats.unbalanced_shutdowns;
    return kUninitialized;
  }
  --s.init_count;
  ++s.stats.shutdowns;
  return kSuccess;
}

JT_FUZZ_NVML_EXPORT const char* nvmlErrorString(Return rc) {
  switch (rc) {
    case 0: return "Success";
    case 1: return "Uninitialized";
    case 2: return "Invalid Argument";
    case 3: return "Not Supported";
    case 4: return "Insufficient Permissions";
    case 6: return "Not Found";
    case 7: return "Insufficient Size";
    case 9: return "Driver Not Loaded";
    case 12: return "NVML Shared Library Not Found";
    case 13: return "Function Not Found";
    case 15: return "GPU is lost";
    case 28: return "GPU not found";
    case 999: return "Unknown Error";
    default: return nullptr;
  }
}

JT_FUZZ_NVML_EXPORT Return nvmlDeviceGetCount_v2(unsigned int* count) {
  require_initialised();
  if (count == nullptr) violated("nvmlDeviceGetCount_v2 without an output");
  State& s = state();
  ++s.stats.count_calls;
  const Return rc = next_rc();
  s.stats.count_result = rc;
  if (rc != kSuccess) {
    *count = 0xA5A5A5A5U;
    return rc;
  }
  *count = next_byte();
  s.stats.last_count = *count;
  return rc;
}

JT_FUZZ_NVML_EXPORT Return nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* out) {
  require_initialised();
  State& s = state();
  if (out == nullptr) violated("nvmlDeviceGetHandleByIndex_v2 without an output");
  if (index >= s.stats.last_count) violated("a device index past nvmlDeviceGetCount_v2's count");
  const Return rc = next_rc();
  if (rc != kSuccess) {
    // Not a handle this library gives out: using it trips device_of.
    std::memset(static_cast<void*>(out), kPoisonByte, sizeof *out);
    return rc;
  }
  s.devices[index].handed_out = true;
  *out = &s.handles[index];
  return rc;
}

JT_FUZZ_NVML_EXPORT Return nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid, unsigned int length) {
  return string_call(device, uuid, length);
}

JT_FUZZ_NVML_EXPORT Return nvmlDeviceGetName(nvmlDevice_t device, char* name, unsigned int length) {
  return string_call(device, name, length);
}

JT_FUZZ_NVML_EXPORT Return nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t handle,
                                                               unsigned long long* energy) {
  Device& device = device_of(handle);
  if (energy == nullptr) violated("nvmlDeviceGetTotalEnergyConsumption without an output");
  const Return rc = device_rc(device);
  if (rc != kSuccess) {
    *energy = 0xA5A5A5A5A5A5A5A5ULL;
    return rc;
  }
  switch (next_byte() & 3) {
    case 0: device.energy_mj += next_le(2); break;
    case 1: device.energy_mj += next_le(4); break;
    case 2: device.energy_mj = next_le(8); break;
    default: device.energy_mj -= next_le(2); break;
  }
  *energy = device.energy_mj;
  device.seen.last_value = device.energy_mj;
  device.seen.last_value_kind = 1;
  return rc;
}

JT_FUZZ_NVML_EXPORT Return nvmlDeviceGetPowerUsage(nvmlDevice_t handle, unsigned int* power) {
  Device& device = device_of(handle);
  if (power == nullptr) violated("nvmlDeviceGetPowerUsage without an output");
  const Return rc = device_rc(device);
  if (rc != kSuccess) {
    *power = 0xA5A5A5A5U;
    return rc;
  }
  *power = next_power_mw();
  device.seen.last_value = *power;
  device.seen.last_value_kind = 2;
  return rc;
}

JT_FUZZ_NVML_EXPORT Return nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t handle,
                                                           unsigned int* limit) {
  Device& device = device_of(handle);
  if (limit == nullptr) violated("nvmlDeviceGetEnforcedPowerLimit without an output");
  const Return rc = device_rc(device);
  if (rc != kSuccess) {
    *limit = 0xA5A5A5A5U;
    return rc;
  }
  *limit = next_power_mw();
  return rc;
}

// nvmlUtilization_t.
struct Utilization {
  unsigned int gpu;
  unsigned int memory;
};

JT_FUZZ_NVML_EXPORT Return nvmlDeviceGetUtilizationRates(nvmlDevice_t handle,
                                                         Utilization* utilization) {
  Device& device = device_of(handle);
  if (utilization == nullptr) violated("nvmlDeviceGetUtilizationRates without an output");
  const Return rc = device_rc(device);
  if (rc != kSuccess) {
    std::memset(static_cast<void*>(utilization), kPoisonByte, sizeof *utilization);
    return rc;
  }
  const std::uint8_t gpu = next_byte();
  utilization->gpu = gpu != 0xFF ? gpu : static_cast<unsigned int>(next_le(4));
  utilization->memory = next_byte();
  return rc;
}
