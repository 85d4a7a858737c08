// SPDX-License-Identifier: BSD-3-Clause
// Fuzzes the ROCm SMI backend end to end: the production loader (RocmSmiLibrary::create: dlopen,
// dlsym, rsmi_init), probe_rocm_smi and RocmSmiSensor::read, against a scripted ROCm SMI
// (rocm_smi_script_library.cpp) that answers every call from the input, in order.
//
// Input:
//   byte 0   read rounds after the probe (low 5 bits, 0-31)
//   rest     the script (format in rocm_smi_script_library.cpp)
//
// Invariants:
// - probe_rocm_smi never throws; a failed init is one report and no sensor; every report has a
//   text; at most one sensor, holding as many channels as there are present reports.
// - Every channel: a non-empty id unique in the sensor, a GPU index below the count and unique,
//   a finite positive scale, an AMD GPU (or module: MI300A), a name and a provenance.
// - Every read fills each reading with a valid status and a non-negative half width; kOk
//   carries exactly the value the library handed out for that GPU; once kLost, always kLost
//   (and the library aborts if the GPU is asked again); activity is negative or within 0-100.
// - Once the sensor is gone: one rsmi_shut_down per successful rsmi_init.
#include <dlfcn.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "sensors/backends.hpp"
#include "sensors/sensor.hpp"

namespace {

struct JtFuzzRsmiStats {
  std::uint64_t init_successes;
  std::uint64_t shutdowns;
  std::uint32_t count;
};

struct Script {
  void (*set_script)(const std::uint8_t*, std::size_t) = nullptr;
  void (*reading)() = nullptr;
  void (*stats)(JtFuzzRsmiStats*) = nullptr;
  std::uint64_t (*last_value)(std::uint32_t) = nullptr;
};

const Script& script() {
  static const Script s = [] {
    Script out;
    void* handle = ::dlopen(JT_FUZZ_RSMI_LIBRARY, RTLD_NOW);
    JT_FUZZ_CHECK(handle != nullptr);
    out.set_script =
        reinterpret_cast<decltype(out.set_script)>(::dlsym(handle, "jt_fuzz_rsmi_set_script"));
    out.reading = reinterpret_cast<decltype(out.reading)>(::dlsym(handle, "jt_fuzz_rsmi_reading"));
    out.stats = reinterpret_cast<decltype(out.stats)>(::dlsym(handle, "jt_fuzz_rsmi_stats"));
    out.last_value =
        reinterpret_cast<decltype(out.last_value)>(::dlsym(handle, "jt_fuzz_rsmi_last_value"));
    JT_FUZZ_CHECK(out.set_script && out.reading && out.stats && out.last_value);
    return out;
  }();
  return s;
}

void check_channels(const jt::Sensor& sensor, std::uint32_t count) {
  std::set<std::string> ids;
  std::set<int> indices;
  for (const auto& c : sensor.channels()) {
    JT_FUZZ_CHECK(!c.id.empty() && ids.insert(c.id).second);
    JT_FUZZ_CHECK(c.identity.index >= 0 && static_cast<std::uint32_t>(c.identity.index) < count);
    JT_FUZZ_CHECK(indices.insert(c.identity.index).second);
    JT_FUZZ_CHECK(std::isfinite(c.scale) && c.scale > 0.0);
    JT_FUZZ_CHECK(c.identity.vendor == jt::Vendor::kAmd);
    JT_FUZZ_CHECK(c.domain == jt::Domain::kGpu || c.domain == jt::Domain::kModule);
    JT_FUZZ_CHECK(!c.device.empty() && !c.provenance.empty());
  }
}

void check_reads(jt::Sensor& sensor, unsigned rounds) {
  const auto channels = sensor.channels();
  std::vector<bool> lost(channels.size(), false);
  script().reading();
  for (unsigned r = 0; r < rounds; ++r) {
    std::vector<jt::Reading> out(channels.size());
    sensor.read(out);
    for (std::size_t i = 0; i < out.size(); ++i) {
      const auto& reading = out[i];
      JT_FUZZ_CHECK(reading.half_width_ns >= 0);
      JT_FUZZ_CHECK(reading.activity_pct < 0.0F || reading.activity_pct <= 100.0F);
      if (lost[i]) JT_FUZZ_CHECK(reading.status == jt::Reading::Status::kLost);
      if (reading.status == jt::Reading::Status::kLost) lost[i] = true;
      if (reading.status == jt::Reading::Status::kOk) {
        const auto index = static_cast<std::uint32_t>(channels[i].identity.index);
        JT_FUZZ_CHECK(reading.raw == script().last_value(index));
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned rounds = data[0] & 31U;
  script().set_script(data + 1, size - 1);
  {
    jt::ProbeContext context;
    context.rocm_smi_library = JT_FUZZ_RSMI_LIBRARY;
    jt::ProbeOutcome outcome = jt::probe_rocm_smi(context);
    JT_FUZZ_CHECK(!outcome.reports.empty());
    std::size_t present = 0;
    for (const auto& report : outcome.reports) {
      JT_FUZZ_CHECK(!report.detail.empty());
      present += report.status == jt::ProbeReport::Status::kPresent ? 1 : 0;
    }
    JT_FUZZ_CHECK(outcome.sensors.size() <= 1);
    const std::size_t channels =
        outcome.sensors.empty() ? 0 : outcome.sensors[0]->channels().size();
    JT_FUZZ_CHECK(channels == present);
    if (!outcome.sensors.empty()) {
      JtFuzzRsmiStats stats{};
      script().stats(&stats);
      check_channels(*outcome.sensors[0], stats.count);
      check_reads(*outcome.sensors[0], rounds);
    }
  }
  JtFuzzRsmiStats stats{};
  script().stats(&stats);
  JT_FUZZ_CHECK(stats.shutdowns == stats.init_successes);
  return 0;
}
