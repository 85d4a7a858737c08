// SPDX-License-Identifier: BSD-3-Clause
// A scripted libze_loader (Level Zero Sysman) for the level_zero_sequence fuzz target: every
// Sysman call the backend makes is answered from a byte script, in the order the calls come.
//
// Script, consumed front to back; a byte past the end reads as 0, except a result past the end,
// which is ZE_RESULT_ERROR_UNKNOWN, so an exhausted script is a driver that fails:
//   result (every call): 1 byte, 0x00-0x9F ZE_RESULT_SUCCESS, 0xA0-0xFF kResults[(b - 0xA0) % 6].
//   After success only, the call's value:
//     zesDriverGet, zesDeviceGet, zesDeviceEnumPowerDomains, zesDeviceEnumEngineGroups:
//       with no handle array, 1 byte, the count (& 7); with one, none (min(asked, count) given)
//     zesDeviceGetProperties     1 byte u (the UUID's every byte), 1 byte length L, L name bytes
//     zesDevicePciGetProperties  4 bytes: domain, bus, device, function (any value)
//     zesPowerGetProperties      1 byte onSubdevice (& 1), 1 byte subdeviceId, 1 byte limit
//                                (b x 4 W in mW; 0xFF: -1, unknown)
//     zesPowerGetEnergyCounter   1 byte mode & 3: 0 +u16, 1 +u32, 2 =u64, 3 -u16 on the counter
//     zesEngineGetProperties     1 byte type (& 3), 1 byte onSubdevice (& 1)
//     zesEngineGetActivity       2 bytes added to active time, 2 bytes added to the timestamp
//   zesInit takes only the result.
//
// It aborts when the caller breaks Sysman's rules: a call before a successful zesInit, a handle
// it did not hand out, a null output; and, once reads began (jt_fuzz_ze_reading), an energy
// counter asked again after it answered ZE_RESULT_ERROR_DEVICE_LOST.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#define JT_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using Result = int;
constexpr Result kSuccess = 0;
constexpr Result kDeviceLost = 0x70000001;
constexpr Result kUnknown = 0x7ffffffe;
constexpr Result kResults[] = {0x70000001, 0x70010000, 0x78000001,
                               0x78000003, 0x78000004, 0x7ffffffe};

struct Handle {  // a driver, device, power domain or engine group handed out
  std::uint64_t counter = 0;
  std::uint64_t active = 0;
  std::uint64_t timestamp = 0;
  bool lost_in_read = false;
};

struct State {
  std::vector<std::uint8_t> script;
  std::size_t at = 0;
  bool initialised = false;
  bool reading = false;
  std::vector<Handle> handles = std::vector<Handle>(4096);
  std::size_t handed_out = 0;
  std::vector<std::uint64_t> round_values;  // energies answered since the last round began
};

State& state() {
  static State s;
  return s;
}

[[noreturn]] void violation(const char* what) {
  std::fprintf(stderr, "level zero script library: caller broke Sysman's rules: %s\n", what);
  std::abort();
}

std::uint8_t byte() {
  State& s = state();
  return s.at < s.script.size() ? s.script[s.at++] : 0;
}

std::uint64_t bytes(int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(byte()) << (8 * i);
  return v;
}

Result result() {
  State& s = state();
  if (!s.initialised) violation("a call before a successful zesInit");
  if (s.at >= s.script.size()) return kUnknown;
  const std::uint8_t b = byte();
  return b < 0xA0 ? kSuccess : kResults[(b - 0xA0) % (sizeof kResults / sizeof kResults[0])];
}

Handle& handle(void* h) {
  State& s = state();
  auto* p = static_cast<Handle*>(h);
  if (p < s.handles.data() || p >= s.handles.data() + s.handed_out) violation("unknown handle");
  return *p;
}

// The two-call enumeration: the count, then min(asked, count) new handles.
Result enumerate(std::uint32_t* count, void** out) {
  if (count == nullptr) violation("null count");
  const Result r = result();
  if (r != kSuccess) return r;
  State& s = state();
  if (out == nullptr) {
    *count = byte() & 7U;
    return kSuccess;
  }
  for (std::uint32_t i = 0; i < *count; ++i) {
    if (s.handed_out == s.handles.size()) violation("too many handles");
    out[i] = &s.handles[s.handed_out++];
  }
  return kSuccess;
}

}  // namespace

JT_EXPORT void jt_fuzz_ze_set_script(const std::uint8_t* data, std::size_t size) {
  state() = State{};
  state().script.assign(data, data + size);
}

JT_EXPORT void jt_fuzz_ze_reading() { state().reading = true; }

JT_EXPORT void jt_fuzz_ze_round_begin() { state().round_values.clear(); }

// The energies (uJ) answered since the round began, in the order asked.
JT_EXPORT std::size_t jt_fuzz_ze_round_values(const std::uint64_t** values) {
  *values = state().round_values.data();
  return state().round_values.size();
}

JT_EXPORT Result zesInit(std::uint32_t) {
  State& s = state();
  s.initialised = true;  // so that result() may run; undone on failure
  const Result r = result();
  s.initialised = r == kSuccess;
  return r;
}

JT_EXPORT Result zesDriverGet(std::uint32_t* count, void** drivers) {
  return enumerate(count, drivers);
}

JT_EXPORT Result zesDeviceGet(void* driver, std::uint32_t* count, void** devices) {
  handle(driver);
  return enumerate(count, devices);
}

JT_EXPORT Result zesDeviceGetProperties(void* device, void* properties) {
  handle(device);
  if (properties == nullptr) violation("null output");
  const Result r = result();
  if (r != kSuccess) return r;
  // zes_device_properties_t: stype, pNext, then core (ze_device_properties_t) whose uuid is at
  // offset 96 and name[256] at 112; the core starts at offset 16.
  auto* bytes_out = static_cast<unsigned char*>(properties);
  std::memset(bytes_out + 16 + 96, byte(), 16);
  const std::size_t length = byte();
  for (std::size_t i = 0; i < length; ++i) bytes_out[16 + 112 + (i % 256)] = byte();
  return kSuccess;
}

JT_EXPORT Result zesDevicePciGetProperties(void* device, std::uint32_t* properties) {
  handle(device);
  if (properties == nullptr) violation("null output");
  const Result r = result();
  if (r != kSuccess) return r;
  for (int i = 0; i < 4; ++i) properties[4 + i] = byte();  // after stype (+pad) and pNext
  return kSuccess;
}

JT_EXPORT Result zesDeviceEnumPowerDomains(void* device, std::uint32_t* count, void** powers) {
  handle(device);
  return enumerate(count, powers);
}

struct PowerProperties {
  int stype;
  void* pNext;
  std::uint8_t onSubdevice;
  std::uint32_t subdeviceId;
  std::uint8_t canControl, isEnergyThresholdSupported;
  std::int32_t defaultLimit, minLimit, maxLimit;
};

JT_EXPORT Result zesPowerGetProperties(void* power, PowerProperties* properties) {
  handle(power);
  if (properties == nullptr) violation("null output");
  const Result r = result();
  if (r != kSuccess) return r;
  properties->onSubdevice = byte() & 1U;
  properties->subdeviceId = byte();
  const std::uint8_t limit = byte();
  properties->defaultLimit = limit == 0xFF ? -1 : limit * 4000;
  return kSuccess;
}

JT_EXPORT Result zesPowerGetEnergyCounter(void* power, std::uint64_t* counter) {
  Handle& h = handle(power);
  if (counter == nullptr) violation("null output");
  State& s = state();
  if (s.reading && h.lost_in_read) violation("energy asked of a lost device");
  const Result r = result();
  if (r != kSuccess) {
    if (s.reading && r == kDeviceLost) h.lost_in_read = true;
    return r;
  }
  switch (byte() & 3) {
    case 0: h.counter += bytes(2); break;
    case 1: h.counter += bytes(4); break;
    case 2: h.counter = bytes(8); break;
    default: h.counter -= bytes(2); break;
  }
  counter[0] = h.counter;  // zes_power_energy_counter_t: energy, timestamp
  counter[1] = 0;
  if (s.reading) s.round_values.push_back(h.counter);
  return kSuccess;
}

JT_EXPORT Result zesDeviceEnumEngineGroups(void* device, std::uint32_t* count, void** engines) {
  handle(device);
  return enumerate(count, engines);
}

struct EngineProperties {
  int stype;
  void* pNext;
  int type;
  std::uint8_t onSubdevice;
  std::uint32_t subdeviceId;
};

JT_EXPORT Result zesEngineGetProperties(void* engine, EngineProperties* properties) {
  handle(engine);
  if (properties == nullptr) violation("null output");
  const Result r = result();
  if (r != kSuccess) return r;
  properties->type = byte() & 3;
  properties->onSubdevice = byte() & 1U;
  return kSuccess;
}

JT_EXPORT Result zesEngineGetActivity(void* engine, std::uint64_t* stats) {
  Handle& h = handle(engine);
  if (stats == nullptr) violation("null output");
  const Result r = result();
  if (r != kSuccess) return r;
  h.active += bytes(2);
  h.timestamp += bytes(2);
  stats[0] = h.active;  // zes_engine_stats_t: activeTime, timestamp
  stats[1] = h.timestamp;
  return kSuccess;
}
