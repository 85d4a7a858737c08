// SPDX-License-Identifier: BSD-3-Clause
// Fuzzes the Level Zero Sysman backend end to end: the production loader (LevelZeroLibrary::create:
// dlopen, dlsym, zesInit), probe_level_zero and LevelZeroSensor::read, against a scripted
// libze_loader (level_zero_script_library.cpp) that answers every call from the input, in order.
//
// Input: byte 0 read rounds after the probe (low 5 bits); the rest the script.
//
// Invariants:
// - probe_level_zero never throws; every report has a text; at most one sensor, with as many
//   channels as present reports; channel ids non-empty, `level_zero/` and unique; scale finite
//   and positive; Intel GPUs; a channel's `contains` names only channels of the sensor.
// - Every read: valid statuses, non-negative half widths; the kOk readings of a round carry, in
//   order, exactly the energies the library answered in it; once kLost, always kLost (and the
//   library aborts if the domain is asked again); activity negative or within 0-100.
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "sensors/backends.hpp"
#include "sensors/sensor.hpp"

namespace {

struct Script {
  void (*set_script)(const std::uint8_t*, std::size_t) = nullptr;
  void (*reading)() = nullptr;
  void (*round_begin)() = nullptr;
  std::size_t (*round_values)(const std::uint64_t**) = nullptr;
};

const Script& script() {
  static const Script s = [] {
    Script out;
    void* handle = ::dlopen(JT_FUZZ_ZE_LIBRARY, RTLD_NOW);
    JT_FUZZ_CHECK(handle != nullptr);
    out.set_script =
        reinterpret_cast<decltype(out.set_script)>(::dlsym(handle, "jt_fuzz_ze_set_script"));
    out.reading = reinterpret_cast<decltype(out.reading)>(::dlsym(handle, "jt_fuzz_ze_reading"));
    out.round_begin =
        reinterpret_cast<decltype(out.round_begin)>(::dlsym(handle, "jt_fuzz_ze_round_begin"));
    out.round_values =
        reinterpret_cast<decltype(out.round_values)>(::dlsym(handle, "jt_fuzz_ze_round_values"));
    JT_FUZZ_CHECK(out.set_script && out.reading && out.round_begin && out.round_values);
    return out;
  }();
  return s;
}

void check_channels(const jt::Sensor& sensor) {
  std::set<std::string> ids;
  for (const auto& c : sensor.channels()) JT_FUZZ_CHECK(ids.insert(c.id).second);
  for (const auto& c : sensor.channels()) {
    JT_FUZZ_CHECK(c.id.starts_with("level_zero/"));
    JT_FUZZ_CHECK(std::isfinite(c.scale) && c.scale > 0.0);
    JT_FUZZ_CHECK(c.identity.vendor == jt::Vendor::kIntel && c.domain == jt::Domain::kGpu);
    JT_FUZZ_CHECK(!c.device.empty() && !c.provenance.empty());
    for (const auto& part : c.contains) JT_FUZZ_CHECK(ids.contains(part) && part != c.id);
  }
}

void check_reads(jt::Sensor& sensor, unsigned rounds) {
  const std::size_t n = sensor.channels().size();
  std::vector<bool> lost(n, false);
  script().reading();
  for (unsigned r = 0; r < rounds; ++r) {
    script().round_begin();
    std::vector<jt::Reading> out(n);
    sensor.read(out);
    const std::uint64_t* values = nullptr;
    const std::size_t answered = script().round_values(&values);
    std::size_t ok = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& reading = out[i];
      JT_FUZZ_CHECK(reading.half_width_ns >= 0);
      JT_FUZZ_CHECK(reading.activity_pct < 0.0F || reading.activity_pct <= 100.0F);
      if (lost[i]) JT_FUZZ_CHECK(reading.status == jt::Reading::Status::kLost);
      if (reading.status == jt::Reading::Status::kLost) lost[i] = true;
      if (reading.status == jt::Reading::Status::kOk) {
        JT_FUZZ_CHECK(ok < answered && reading.raw == values[ok]);
        ++ok;
      }
    }
    JT_FUZZ_CHECK(ok == answered);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  script().set_script(data + 1, size - 1);
  jt::ProbeContext context;
  context.level_zero_library = JT_FUZZ_ZE_LIBRARY;
  jt::ProbeOutcome outcome = jt::probe_level_zero(context);
  JT_FUZZ_CHECK(!outcome.reports.empty());
  std::size_t present = 0;
  for (const auto& report : outcome.reports) {
    JT_FUZZ_CHECK(!report.detail.empty());
    present += report.status == jt::ProbeReport::Status::kPresent ? 1 : 0;
  }
  JT_FUZZ_CHECK(outcome.sensors.size() <= 1);
  const std::size_t channels = outcome.sensors.empty() ? 0 : outcome.sensors[0]->channels().size();
  JT_FUZZ_CHECK(channels == present);
  if (!outcome.sensors.empty()) {
    check_channels(*outcome.sensors[0]);
    check_reads(*outcome.sensors[0], data[0] & 31U);
  }
  return 0;
}
