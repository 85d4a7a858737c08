// SPDX-License-Identifier: BSD-3-Clause
// Fuzzes the NVML backend end to end: the production loader (NvmlLibrary::create: dlopen, dlsym,
// nvmlInit_v2), probe_nvml, NvmlSensor::read and a ChannelAccumulator per channel, against a
// scripted NVML (nvml_script_library.cpp) that answers every call from the input, in order.
//
// Input:
//   byte 0   variant: bit i set = optional entry point i not exported (nvmlDeviceGetUUID, Name,
//            TotalEnergyConsumption, PowerUsage, EnforcedPowerLimit, UtilizationRates)
//   byte 1   read rounds after the probe (low 6 bits, 0-63)
//   byte 2   time between rounds as the accumulators see it, in 20 ms units (0-5.1 s; the
//            reads themselves happen at once, so each reading's timestamp is shifted)
//   rest     the script, answers to the calls in order (format in nvml_script_library.cpp:
//            a return code byte per call, 0x00-0x9F success, then the call's value)
//
// Invariants:
// - probe_nvml never throws, calls nvmlInit_v2 once, and reports: an init failure gives exactly
//   one report and no sensor, with the error kind the loader documents (DRIVER_NOT_LOADED
//   absent, NO_PERMISSION permission denied, anything else an error) and the return code in the
//   text; a failed count is one error report, a count of 0 one absent report; otherwise one
//   report per GPU, as many present reports as channels, and a sensor exactly when one is
//   present. Every report is non-empty.
// - Every channel: non-empty id unique in the sensor ("nvml/<uuid>", "nvml/index-<i>" when the
//   UUID getter is missing), a GPU index below the count and unique, finite positive scale,
//   finite non-negative update period and worst-case power, a name and a provenance; an energy
//   counter only when that getter exists, activity only when utilisation does.
// - Every read fills each reading with a valid status and a non-negative half width, timestamps
//   never go back; kOk carries exactly the value NVML handed out for that GPU. Once NVML has
//   answered GPU_IS_LOST or GPU_NOT_FOUND for a GPU during a read, every later reading of it is
//   kLost and NVML is not asked about it again (nvml_sensor.hpp); a kLost reading only follows
//   such an answer. activity_pct is negative or within 0..100, and negative on kOk for a
//   channel that does not report activity.
// - The accumulators: energy finite, never negative, falls only when a reset is undone, stays
//   within plausible_power_w() x (elapsed + one update period per sample);
//   samples + skipped + unavailable + lost readings account for every reading after finish().
// - The library keeps NVML's rules (the scripted library aborts otherwise): no call before init
//   or after shutdown, no index past the count, no handle it did not hand out; and once the
//   sensor is gone, one nvmlShutdown per successful nvmlInit_v2 and none without.
#include <dlfcn.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "nvml_script_library.hpp"
#include "sampler/channel_accumulator.hpp"
#include "sensors/backends.hpp"
#include "sensors/nvml/nvml_library.hpp"

namespace {

struct Variant {
  std::string path;
  JtFuzzNvmlSetScript set_script = nullptr;
  JtFuzzNvmlGetStats stats = nullptr;
  JtFuzzNvmlGetDevice device = nullptr;
};

std::vector<Variant>& variants() {
  static std::vector<Variant> all;
  return all;
}

template <typename Fn>
Fn symbol(void* handle, const char* name, const std::string& path) {
  void* found = ::dlsym(handle, name);
  if (found == nullptr) {
    std::fprintf(stderr, "nvml_sequence: %s lacks %s\n", path.c_str(), name);
    std::abort();
  }
  return reinterpret_cast<Fn>(found);
}

bool exported(unsigned int mask, int bit) { return (mask & (1U << bit)) == 0; }
constexpr int kUuidBit = 0;
constexpr int kEnergyBit = 2;
constexpr int kUtilisationBit = 5;

JtFuzzNvmlStats stats_of(const Variant& v) {
  JtFuzzNvmlStats s{};
  v.stats(&s);
  return s;
}

JtFuzzNvmlDevice device_of(const Variant& v, int index) {
  JtFuzzNvmlDevice d{};
  JT_FUZZ_CHECK(v.device(static_cast<unsigned int>(index), &d) == 0);
  return d;
}

// JT_FUZZ_TRACE=1 prints the reports, channels and readings (for reading a crash input or
// checking that a seed does what its name says).
bool tracing() {
  static const bool trace = std::getenv("JT_FUZZ_TRACE") != nullptr;
  return trace;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// The readings of one channel through an accumulator, checked after every step.
struct Tracked {
  explicit Tracked(const jt::ChannelInfo& info) : info(info), acc(info, {}) {}

  void feed(const jt::Reading& r) {
    ++given;
    // As the accumulator counts: a lost reading, and a good one after a loss, go uncounted.
    if (r.status == jt::Reading::Status::kLost) {
      lost = true;
      ++ignored;
    } else if (r.status == jt::Reading::Status::kOk && lost) {
      ++ignored;
    }
    acc.update(r);
    check(false);
  }

  void check(bool finished) {
    const auto& s = acc.stats();
    JT_FUZZ_CHECK(std::isfinite(s.energy_j) && s.energy_j >= 0.0);
    // Energy only falls when a reset is undone, which merges two segments again.
    if (s.energy_j < last_energy) JT_FUZZ_CHECK(s.segments < last_segments);
    last_energy = s.energy_j;
    last_segments = s.segments;
    JT_FUZZ_CHECK(std::isfinite(s.peak_power_w) && s.peak_power_w >= 0.0);
    JT_FUZZ_CHECK(std::isfinite(s.gap_s) && s.gap_s >= 0.0);
    const std::uint64_t counted = s.samples + s.skipped + s.unavailable;
    JT_FUZZ_CHECK(counted + ignored <= given);
    if (finished) JT_FUZZ_CHECK(counted + ignored == given);
    if (s.samples > 0) {
      JT_FUZZ_CHECK(s.last_t_ns >= s.first_t_ns);
      const double elapsed_s = static_cast<double>(s.last_t_ns - s.first_t_ns) * 1e-9;
      const double modulus_j = static_cast<double>(info.wrap_modulus) * info.scale;
      const double bound_j = acc.plausible_power_w() * (elapsed_s + static_cast<double>(s.samples) *
                                                                        info.update_period_s) +
                             modulus_j;
      JT_FUZZ_CHECK(s.energy_j <= bound_j * (1.0 + 1e-9) + 1e-9);
    }
  }

  const jt::ChannelInfo& info;
  jt::ChannelAccumulator acc;
  std::uint64_t given = 0;
  std::uint64_t ignored = 0;  // a lost device's readings, which the accumulator does not count
  bool lost = false;
  double last_energy = 0.0;
  int last_segments = 0;
};

void check_probe(const jt::ProbeOutcome& outcome, const JtFuzzNvmlStats& s, unsigned int mask) {
  if (tracing()) {
    std::fprintf(stderr, "variant %02u, init %d, count %d -> %u\n", mask, s.init_result,
                 s.count_result, s.last_count);
    for (const auto& r : outcome.reports) {
      std::fprintf(stderr, "report %s: %s\n", jt::to_string(r.status), r.detail.c_str());
    }
    for (const auto& sensor : outcome.sensors) {
      for (const auto& c : sensor->channels()) {
        std::fprintf(stderr, "channel %s [%s] %s, max %.3f W, activity %d\n", c.id.c_str(),
                     c.device.c_str(), jt::to_string(c.quantity), c.max_power_w,
                     c.reports_activity ? 1 : 0);
      }
    }
  }
  JT_FUZZ_CHECK(!outcome.reports.empty());
  for (const auto& report : outcome.reports) {
    JT_FUZZ_CHECK(report.backend == "nvml");
    JT_FUZZ_CHECK(!report.detail.empty());
  }
  JT_FUZZ_CHECK(s.init_calls == 1);
  using Status = jt::ProbeReport::Status;
  if (s.init_successes == 0) {
    JT_FUZZ_CHECK(outcome.reports.size() == 1 && outcome.sensors.empty());
    JT_FUZZ_CHECK(s.calls == 1);  // nothing asked of an NVML that did not start
    const Status want = s.init_result == jt::kNvmlErrorDriverNotLoaded ? Status::kAbsent
                        : s.init_result == jt::kNvmlErrorNoPermission  ? Status::kPermissionDenied
                                                                       : Status::kError;
    JT_FUZZ_CHECK(outcome.reports[0].status == want);
    JT_FUZZ_CHECK(contains(outcome.reports[0].detail,
                           "(nvmlReturn_t " + std::to_string(s.init_result) + ")"));
    if (want != Status::kError) JT_FUZZ_CHECK(!outcome.reports[0].hint.empty());
    return;
  }
  JT_FUZZ_CHECK(s.count_calls == 1);
  if (s.count_result != jt::kNvmlSuccess || s.last_count == 0) {
    JT_FUZZ_CHECK(outcome.reports.size() == 1 && outcome.sensors.empty());
    const bool failed = s.count_result != jt::kNvmlSuccess;
    JT_FUZZ_CHECK(outcome.reports[0].status == (failed ? Status::kError : Status::kAbsent));
    if (failed) {
      JT_FUZZ_CHECK(contains(outcome.reports[0].detail,
                             "(nvmlReturn_t " + std::to_string(s.count_result) + ")"));
    }
    return;
  }
  JT_FUZZ_CHECK(outcome.reports.size() == s.last_count);
  std::size_t present = 0;
  for (const auto& report : outcome.reports) {
    JT_FUZZ_CHECK(report.status == Status::kPresent || report.status == Status::kError);
    if (report.status == Status::kPresent) ++present;
  }
  JT_FUZZ_CHECK(outcome.sensors.size() == (present > 0 ? 1U : 0U));
  if (present == 0) return;

  const auto channels = outcome.sensors[0]->channels();
  JT_FUZZ_CHECK(outcome.sensors[0]->backend() == "nvml");
  JT_FUZZ_CHECK(channels.size() == present);
  std::set<std::string> ids;
  std::set<int> indices;
  for (const auto& c : channels) {
    JT_FUZZ_CHECK(!c.id.empty());
    JT_FUZZ_CHECK(ids.insert(c.id).second);
    JT_FUZZ_CHECK(c.id.starts_with("nvml/") && c.id.size() > 5);
    JT_FUZZ_CHECK(c.identity.index >= 0 &&
                  static_cast<unsigned int>(c.identity.index) < s.last_count);
    JT_FUZZ_CHECK(indices.insert(c.identity.index).second);
    if (!exported(mask, kUuidBit)) {
      JT_FUZZ_CHECK(c.id == "nvml/index-" + std::to_string(c.identity.index));
    }
    JT_FUZZ_CHECK(c.domain == jt::Domain::kGpu);
    JT_FUZZ_CHECK(std::isfinite(c.scale) && c.scale > 0.0);
    JT_FUZZ_CHECK(std::isfinite(c.update_period_s) && c.update_period_s >= 0.0);
    JT_FUZZ_CHECK(std::isfinite(c.max_power_w) && c.max_power_w >= 0.0);
    JT_FUZZ_CHECK(std::isfinite(c.calibration_error) && c.calibration_error >= 0.0 &&
                  c.calibration_error < 1.0);
    JT_FUZZ_CHECK(!c.device.empty() && !c.provenance.empty() && !c.raw_unit.empty());
    JT_FUZZ_CHECK(c.quantity == jt::Quantity::kEnergyCounter ||
                  c.quantity == jt::Quantity::kInstantPower);
    if (c.quantity == jt::Quantity::kEnergyCounter) JT_FUZZ_CHECK(exported(mask, kEnergyBit));
    if (c.reports_activity) JT_FUZZ_CHECK(exported(mask, kUtilisationBit));
  }
}

bool valid(jt::Reading::Status status) {
  using S = jt::Reading::Status;
  return status == S::kOk || status == S::kSkipped || status == S::kUnavailable ||
         status == S::kLost;
}

void read_rounds(jt::Sensor& sensor, const Variant& v, int rounds, std::int64_t step_ns) {
  const auto channels = sensor.channels();
  const std::size_t n = channels.size();
  std::vector<Tracked> tracked;
  tracked.reserve(n);
  for (const auto& c : channels) tracked.emplace_back(c);
  std::vector<bool> lost(n, false);  // NVML said so during a read: never asked again
  std::vector<std::int64_t> last_t(n, 0);
  std::vector<JtFuzzNvmlDevice> before(n);
  // Reused across rounds as the sampler does, so a field a read forgets to set would show.
  std::vector<jt::Reading> readings(n);

  for (int round = 0; round < rounds; ++round) {
    for (std::size_t i = 0; i < n; ++i) {
      before[i] = device_of(v, channels[i].identity.index);
      readings[i].status = static_cast<jt::Reading::Status>(0xEE);  // not filled
    }
    sensor.read(readings);
    for (std::size_t i = 0; i < n; ++i) {
      const jt::Reading& r = readings[i];
      const jt::ChannelInfo& c = channels[i];
      const JtFuzzNvmlDevice after = device_of(v, c.identity.index);
      JT_FUZZ_CHECK(valid(r.status));
      JT_FUZZ_CHECK(r.half_width_ns >= 0);
      JT_FUZZ_CHECK(r.t_ns >= last_t[i]);
      last_t[i] = r.t_ns;
      JT_FUZZ_CHECK(r.activity_pct < 0.0F || r.activity_pct <= 100.0F);
      JT_FUZZ_CHECK(!std::isnan(r.activity_pct));
      if (lost[i]) {
        JT_FUZZ_CHECK(r.status == jt::Reading::Status::kLost);
        JT_FUZZ_CHECK(after.calls == before[i].calls);
      } else {
        const bool lost_now = after.lost_answers > before[i].lost_answers;
        JT_FUZZ_CHECK(after.calls > before[i].calls);
        if (r.status == jt::Reading::Status::kLost) JT_FUZZ_CHECK(lost_now);
        // A loss found by the utilisation call leaves this round's good reading standing.
        if (lost_now) {
          JT_FUZZ_CHECK(r.status == jt::Reading::Status::kLost ||
                        r.status == jt::Reading::Status::kOk);
          lost[i] = true;
        }
        if (r.status == jt::Reading::Status::kOk) {
          JT_FUZZ_CHECK(after.last_value_kind ==
                        (c.quantity == jt::Quantity::kEnergyCounter ? 1 : 2));
          JT_FUZZ_CHECK(r.raw == after.last_value);
          if (!c.reports_activity) JT_FUZZ_CHECK(r.activity_pct < 0.0F);
        }
      }
      jt::Reading shifted = r;
      shifted.t_ns += static_cast<std::int64_t>(round) * step_ns;
      tracked[i].feed(shifted);
      if (tracing()) {
        const auto& st = tracked[i].acc.stats();
        std::fprintf(stderr,
                     "round %d gpu %d: status %d raw %llu activity %.0f -> energy %.3f J, "
                     "samples %llu skipped %llu unavailable %llu segments %d\n",
                     round, c.identity.index, static_cast<int>(r.status),
                     static_cast<unsigned long long>(r.raw), r.activity_pct, st.energy_j,
                     static_cast<unsigned long long>(st.samples),
                     static_cast<unsigned long long>(st.skipped),
                     static_cast<unsigned long long>(st.unavailable), st.segments);
      }
    }
  }
  for (auto& t : tracked) {
    t.acc.finish();
    t.check(true);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Every variant stays loaded for the whole run: the loader's dlclose then never unmaps it, so
  // its script and counters survive from one NvmlLibrary to the next.
  for (unsigned int mask = 0; mask < kJtFuzzNvmlVariants; ++mask) {
    char name[16];
    std::snprintf(name, sizeof name, "%02u", mask);
    Variant v;
    v.path = std::string(JT_FUZZ_NVML_PREFIX) + name + JT_FUZZ_NVML_SUFFIX;
    void* handle = ::dlopen(v.path.c_str(), RTLD_NOW);
    if (handle == nullptr) {
      std::fprintf(stderr, "nvml_sequence: cannot load %s: %s\n", v.path.c_str(), ::dlerror());
      std::abort();
    }
    v.set_script = symbol<JtFuzzNvmlSetScript>(handle, "jt_fuzz_nvml_set_script", v.path);
    v.stats = symbol<JtFuzzNvmlGetStats>(handle, "jt_fuzz_nvml_stats", v.path);
    v.device = symbol<JtFuzzNvmlGetDevice>(handle, "jt_fuzz_nvml_device", v.path);
    for (int bit = 0; bit < 6; ++bit) {
      const bool present = ::dlsym(handle, kJtFuzzNvmlOptionalSymbols[bit]) != nullptr;
      if (present != exported(mask, bit)) {
        std::fprintf(stderr, "nvml_sequence: %s: %s wrongly %s\n", v.path.c_str(),
                     kJtFuzzNvmlOptionalSymbols[bit], present ? "exported" : "missing");
        std::abort();
      }
    }
    variants().push_back(std::move(v));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;  // a few hundred calls at most; longer inputs only slow the search
  const auto header = [&](std::size_t i) -> unsigned int { return i < size ? data[i] : 0U; };
  const unsigned int mask = header(0) % kJtFuzzNvmlVariants;
  const int rounds = static_cast<int>(header(1) & 0x3F);
  const std::int64_t step_ns = static_cast<std::int64_t>(header(2)) * 20'000'000;
  const Variant& v = variants()[mask];
  const std::size_t skip = size < 3 ? size : 3;
  v.set_script(data + skip, size - skip);

  {
    jt::ProbeContext context;
    context.nvml_library = v.path;
    jt::ProbeOutcome outcome;
    try {
      outcome = jt::probe_nvml(context);
    } catch (...) {
      JT_FUZZ_CHECK(!"probe_nvml threw");
    }
    check_probe(outcome, stats_of(v), mask);
    if (!outcome.sensors.empty()) read_rounds(*outcome.sensors[0], v, rounds, step_ns);
  }

  // The sensor, and with it the library, is gone: NVML's init count must be back where it was.
  const JtFuzzNvmlStats s = stats_of(v);
  if (tracing()) {
    std::fprintf(stderr, "calls %llu, script bytes left %u\n",
                 static_cast<unsigned long long>(s.calls), s.script_left);
  }
  JT_FUZZ_CHECK(s.unbalanced_shutdowns == 0);
  JT_FUZZ_CHECK(s.shutdowns == s.init_successes);
  return 0;
}
