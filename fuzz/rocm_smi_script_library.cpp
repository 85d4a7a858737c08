// SPDX-License-Identifier: BSD-3-Clause
// A scripted librocm_smi64 for the rocm_smi_sequence fuzz target: every ROCm SMI call the backend
// makes is answered from a byte script, in the order the calls come (fuzz/CMakeLists.txt builds
// it as a shared library; the fuzzer reaches its control functions with dlsym).
//
// Script, consumed front to back; a byte past the end reads as 0, except a status past the end,
// which is RSMI_STATUS_FILE_ERROR (3), so an exhausted script is a GPU whose files fail:
//   status (every scripted call): 1 byte, 0x00-0x9F RSMI_STATUS_SUCCESS, 0xA0-0xFF the status
//     kStatuses[(b - 0xA0) % 9].
//   After success only, the call's value:
//     rsmi_num_monitor_devices          1 byte, the count (0-255)
//     rsmi_dev_energy_count_get         1 byte resolution r (r / 16 uJ, 0 allowed), 1 byte mode:
//                                       mode & 3: 0 +u16, 1 +u32, 2 =u64, 3 -u16 on the counter
//     rsmi_dev_power_ave_get / cap      1 byte b: b x 4 W in uW
//     rsmi_dev_unique_id_get / pci_id   u64 (little-endian)
//     rsmi_dev_name_get                 1 byte length L, then L bytes (NULs allowed)
//     rsmi_dev_busy_percent_get         1 byte (may exceed 100)
//   rsmi_init takes only the status. Not scripted: rsmi_shut_down, rsmi_status_string.
//
// It enforces what ROCm SMI requires of its caller and aborts otherwise: no device call before a
// successful rsmi_init or after the matching shut-down, no index past the count, no null output.
// And, once the fuzzer says reads began (jt_fuzz_rsmi_reading), a GPU that answered NOT_FOUND or
// INPUT_OUT_OF_BOUNDS to an energy or power read is never asked for energy or power again.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#define JT_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using Status = std::uint32_t;
constexpr Status kSuccess = 0;
constexpr Status kFileError = 3;
constexpr Status kStatuses[] = {1, 2, 3, 4, 7, 8, 10, 16, 0xFFFFFFFF};

struct Device {
  std::uint64_t counter = 0;
  std::uint64_t last_value = 0;  // the last energy count or power handed out
  bool lost_in_read = false;
};

struct State {
  std::vector<std::uint8_t> script;
  std::size_t at = 0;
  int inits = 0;
  std::uint64_t init_successes = 0;
  std::uint64_t shutdowns = 0;
  std::uint32_t count = 0;
  bool counted = false;
  bool reading = false;
  std::vector<Device> devices = std::vector<Device>(256);
};

State& state() {
  static State s;
  return s;
}

[[noreturn]] void violation(const char* what) {
  std::fprintf(stderr, "rocm_smi script library: caller broke ROCm SMI's rules: %s\n", what);
  std::abort();
}

std::uint8_t byte() {
  State& s = state();
  return s.at < s.script.size() ? s.script[s.at++] : 0;
}

std::uint64_t u64() {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(byte()) << (8 * i);
  return v;
}

Status status() {
  State& s = state();
  if (s.at >= s.script.size()) return kFileError;
  const std::uint8_t b = byte();
  return b < 0xA0 ? kSuccess : kStatuses[(b - 0xA0) % (sizeof kStatuses / sizeof kStatuses[0])];
}

Device& device(std::uint32_t index) {
  State& s = state();
  if (s.inits == 0) violation("device call without an initialised library");
  if (!s.counted || index >= s.count) violation("index past the device count");
  return s.devices[index];
}

bool lost(Status st) { return st == 10 || st == 7; }

}  // namespace

struct JtFuzzRsmiStats {
  std::uint64_t init_successes;
  std::uint64_t shutdowns;
  std::uint32_t count;
};

JT_EXPORT void jt_fuzz_rsmi_set_script(const std::uint8_t* data, std::size_t size) {
  State& s = state();
  s = State{};
  s.script.assign(data, data + size);
}

JT_EXPORT void jt_fuzz_rsmi_reading() { state().reading = true; }

JT_EXPORT void jt_fuzz_rsmi_stats(JtFuzzRsmiStats* out) {
  const State& s = state();
  *out = {s.init_successes, s.shutdowns, s.count};
}

// The value the last successful energy or power read of `index` handed out.
JT_EXPORT std::uint64_t jt_fuzz_rsmi_last_value(std::uint32_t index) {
  return index < 256 ? state().devices[index].last_value : 0;
}

JT_EXPORT Status rsmi_init(std::uint64_t) {
  const Status st = status();
  if (st == kSuccess) {
    ++state().inits;
    ++state().init_successes;
  }
  return st;
}

JT_EXPORT Status rsmi_shut_down() {
  State& s = state();
  if (s.inits == 0) violation("rsmi_shut_down without a successful rsmi_init");
  --s.inits;
  ++s.shutdowns;
  return kSuccess;
}

JT_EXPORT Status rsmi_status_string(Status st, const char** text) {
  if (text == nullptr) violation("null output");
  *text = st == 0xFFFFFFFF ? nullptr : "scripted status";
  return kSuccess;
}

JT_EXPORT Status rsmi_num_monitor_devices(std::uint32_t* count) {
  State& s = state();
  if (count == nullptr) violation("null output");
  if (s.inits == 0) violation("rsmi_num_monitor_devices before rsmi_init");
  const Status st = status();
  if (st != kSuccess) return st;
  s.count = byte();
  s.counted = true;
  *count = s.count;
  return kSuccess;
}

JT_EXPORT Status rsmi_dev_energy_count_get(std::uint32_t index, std::uint64_t* count,
                                           float* resolution, std::uint64_t* timestamp) {
  if (count == nullptr || resolution == nullptr || timestamp == nullptr) violation("null output");
  Device& d = device(index);
  if (state().reading && d.lost_in_read) violation("energy asked of a lost GPU");
  const Status st = status();
  if (st != kSuccess) {
    if (state().reading && lost(st)) d.lost_in_read = true;
    return st;
  }
  *resolution = static_cast<float>(byte()) / 16.0F;
  switch (byte() & 3) {
    case 0: d.counter += byte() | (static_cast<std::uint64_t>(byte()) << 8); break;
    case 1: d.counter += static_cast<std::uint32_t>(u64()); break;
    case 2: d.counter = u64(); break;
    default: d.counter -= byte() | (static_cast<std::uint64_t>(byte()) << 8); break;
  }
  *count = d.counter;
  *timestamp = 0;
  d.last_value = d.counter;
  return kSuccess;
}

JT_EXPORT Status rsmi_dev_power_ave_get(std::uint32_t index, std::uint32_t, std::uint64_t* uw) {
  if (uw == nullptr) violation("null output");
  Device& d = device(index);
  if (state().reading && d.lost_in_read) violation("power asked of a lost GPU");
  const Status st = status();
  if (st != kSuccess) {
    if (state().reading && lost(st)) d.lost_in_read = true;
    return st;
  }
  *uw = static_cast<std::uint64_t>(byte()) * 4'000'000U;
  d.last_value = *uw;
  return kSuccess;
}

JT_EXPORT Status rsmi_dev_power_cap_get(std::uint32_t index, std::uint32_t, std::uint64_t* uw) {
  if (uw == nullptr) violation("null output");
  device(index);
  const Status st = status();
  if (st == kSuccess) *uw = static_cast<std::uint64_t>(byte()) * 4'000'000U;
  return st;
}

JT_EXPORT Status rsmi_dev_unique_id_get(std::uint32_t index, std::uint64_t* id) {
  if (id == nullptr) violation("null output");
  device(index);
  const Status st = status();
  if (st == kSuccess) *id = u64();
  return st;
}

JT_EXPORT Status rsmi_dev_pci_id_get(std::uint32_t index, std::uint64_t* bdfid) {
  if (bdfid == nullptr) violation("null output");
  device(index);
  const Status st = status();
  if (st == kSuccess) *bdfid = u64();
  return st;
}

JT_EXPORT Status rsmi_dev_name_get(std::uint32_t index, char* name, std::size_t len) {
  if (name == nullptr || len == 0) violation("null output");
  device(index);
  const Status st = status();
  if (st != kSuccess) return st;
  const std::size_t length = byte();
  for (std::size_t i = 0; i < length; ++i) {
    const auto c = static_cast<char>(byte());
    if (i < len) name[i] = c;
  }
  if (length < len) name[length] = '\0';
  return kSuccess;
}

JT_EXPORT Status rsmi_dev_busy_percent_get(std::uint32_t index, std::uint32_t* busy) {
  if (busy == nullptr) violation("null output");
  device(index);
  const Status st = status();
  if (st == kSuccess) *busy = byte();
  return st;
}
