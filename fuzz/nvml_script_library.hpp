// SPDX-License-Identifier: BSD-3-Clause
#pragma once

// The control interface of the scripted NVML library (nvml_script_library.cpp) that the
// nvml_sequence fuzz target loads through the production loader. The fuzzer reaches these
// functions with dlsym on its own handle to the same file, so they are plain C.

#include <cstddef>
#include <cstdint>

extern "C" {

// What the library saw since the last script was set. Kept by the library rather than guessed by
// the fuzzer, because only the library knows which call got which answer.
struct JtFuzzNvmlStats {
  std::uint64_t init_calls;            // nvmlInit_v2, whatever it answered
  std::uint64_t init_successes;        // nvmlInit_v2 that answered NVML_SUCCESS
  std::uint64_t shutdowns;             // nvmlShutdown while initialised
  std::uint64_t unbalanced_shutdowns;  // nvmlShutdown with no successful init left to undo
  std::uint64_t calls;                 // every scripted call, init included
  std::uint64_t count_calls;           // nvmlDeviceGetCount_v2
  std::int32_t init_result;            // what nvmlInit_v2 last answered
  std::int32_t count_result;           // what nvmlDeviceGetCount_v2 last answered
  std::uint32_t last_count;   // the count it last answered with NVML_SUCCESS, 0 before that
  std::uint32_t script_left;  // bytes of the script not consumed yet
};

// One device (one index of nvmlDeviceGetHandleByIndex_v2).
struct JtFuzzNvmlDevice {
  std::uint64_t calls;         // calls made with this device's handle
  std::uint64_t lost_answers;  // of those, how many answered GPU_IS_LOST or GPU_NOT_FOUND
  // The value the last successful energy (mJ) or power (mW) read handed out, and which it was
  // (1 energy, 2 power, 0 none yet).
  std::uint64_t last_value;
  int last_value_kind;
};

// Replaces the script and forgets everything seen so far.
using JtFuzzNvmlSetScript = void (*)(const std::uint8_t* data, std::size_t size);
using JtFuzzNvmlGetStats = void (*)(JtFuzzNvmlStats* out);
// Returns 0 and fills *out for index < kJtFuzzNvmlMaxDevices, else -1.
using JtFuzzNvmlGetDevice = int (*)(unsigned int index, JtFuzzNvmlDevice* out);

}  // extern "C"

// nvmlDeviceGetCount_v2 answers one byte, so no index past 255 can be asked for legitimately.
inline constexpr unsigned int kJtFuzzNvmlMaxDevices = 256;

// The optional entry points in the order of the variant mask: bit i set = symbol i not exported.
inline constexpr const char* kJtFuzzNvmlOptionalSymbols[] = {"nvmlDeviceGetUUID",
                                                             "nvmlDeviceGetName",
                                                             "nvmlDeviceGetTotalEnergyConsumption",
                                                             "nvmlDeviceGetPowerUsage",
                                                             "nvmlDeviceGetEnforcedPowerLimit",
                                                             "nvmlDeviceGetUtilizationRates"};
inline constexpr unsigned int kJtFuzzNvmlVariants = 1U << 6;
