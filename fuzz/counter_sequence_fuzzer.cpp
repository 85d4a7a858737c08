// SPDX-License-Identifier: BSD-3-Clause
// Fuzzes jt::ChannelAccumulator, which turns a channel's raw readings into joules (wraps, resets,
// torn reads, gaps; docs/ARCHITECTURE.md §4.3). The input describes a channel and a sequence of
// readings with timestamps that never go backwards, as the sampler produces them.
//
// Invariants, after every reading and after finish():
// - energy is finite and never negative;
// - energy never decreases (the sampler stores it as a cumulative series), except when a reset
//   is undone because the counter came back on its old track, and then never below the energy
//   before that reset;
// - samples + skipped + unavailable never exceed the readings given, and after finish() they
//   account for every reading that was not ignored because the device was lost;
// - energy is never above plausible_power_w() x (elapsed time + one update period per sample)
//   plus one counter modulus: the accumulator's own plausibility rule, stated from outside;
// - peak power is finite and not negative.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <vector>

#include "fuzz_check.hpp"
#include "sampler/channel_accumulator.hpp"

namespace {

// Scales the backends use: uJ (powercap, hwmon), mJ (NVML), RAPL ESU 2^-14 and 2^-16 J, the
// Haswell-server DRAM unit, 1 (a model in joules).
constexpr double kScales[] = {1e-6, 1e-3, 1.0 / 16384, 1.0 / 65536, 15.3e-6, 1.0};
// Moduli of real counters, and whatever the input says.
constexpr std::uint64_t kModuli[] = {0, 262'143'328'851, 65'532'610'987, std::uint64_t{1} << 32,
                                     10'000'001};

jt::ChannelInfo channel_from(FuzzedDataProvider& in) {
  jt::ChannelInfo info;
  info.id = "fuzz/counter";
  const auto q = in.ConsumeIntegralInRange<int>(0, 7);
  info.quantity = q < 6 ? jt::Quantity::kEnergyCounter
                        : (q == 6 ? jt::Quantity::kInstantPower : jt::Quantity::kAveragePower);
  info.scale = in.PickValueInArray(kScales);
  const auto m = in.ConsumeIntegralInRange<std::size_t>(0, std::size(kModuli));
  info.wrap_modulus = m < std::size(kModuli) ? kModuli[m] : in.ConsumeIntegral<std::uint64_t>();
  // The update period a backend states: 0 (unknown), 1 ms (RAPL), or what hwmon's
  // *_average_interval file says (any number of milliseconds).
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: info.update_period_s = 0.0; break;
    case 1: info.update_period_s = 0.001; break;
    case 2:
      info.update_period_s = in.ConsumeIntegralInRange<std::uint32_t>(0, 10'000) * 1e-3;
      break;
    default: info.update_period_s = static_cast<double>(in.ConsumeIntegral<std::uint64_t>()) * 1e-3;
  }
  // Worst-case power: unknown, a typical value, or a constraint file's microwatts.
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 0: info.max_power_w = 0.0; break;
    case 1: info.max_power_w = in.ConsumeIntegralInRange<std::uint32_t>(1, 2000); break;
    default: info.max_power_w = static_cast<double>(in.ConsumeIntegral<std::uint64_t>()) * 1e-6;
  }
  return info;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const jt::ChannelInfo info = channel_from(in);
  jt::ChannelAccumulator::Options options;
  if (in.ConsumeBool()) {
    options.max_bridge_s = in.ConsumeIntegralInRange<std::uint32_t>(0, 100'000) * 1e-3;
    options.peak_window_s = in.ConsumeIntegralInRange<std::uint32_t>(1, 10'000) * 1e-3;
  }
  jt::ChannelAccumulator acc(info, options);
  // JT_FUZZ_TRACE=1 prints every reading and the stats after it (for reading a crash input).
  static const bool trace = std::getenv("JT_FUZZ_TRACE") != nullptr;
  if (trace) {
    std::fprintf(
        stderr, "quantity=%d scale=%.9g modulus=%llu update_period_s=%.9g max_power_w=%.9g\n",
        static_cast<int>(info.quantity), info.scale,
        static_cast<unsigned long long>(info.wrap_modulus), info.update_period_s, info.max_power_w);
  }
  const double plausible_w = acc.plausible_power_w();
  JT_FUZZ_CHECK(std::isfinite(plausible_w) && plausible_w > 0.0);

  std::int64_t t_ns = in.ConsumeIntegralInRange<std::int64_t>(0, std::int64_t{1} << 50);
  std::uint64_t raw = in.ConsumeIntegral<std::uint64_t>();
  std::uint64_t given = 0;    // readings handed to the accumulator
  std::uint64_t ignored = 0;  // readings a lost device makes the accumulator ignore
  bool lost = false;
  double last_energy = 0.0;
  int last_segments = 0;
  // energy_at_segment[k]: the energy when segment k+1 began (index 0: the first segment).
  std::vector<double> energy_at_segment;

  const auto check = [&](bool finished) {
    const auto& s = acc.stats();
    JT_FUZZ_CHECK(std::isfinite(s.energy_j));
    JT_FUZZ_CHECK(s.energy_j >= 0.0);
    // Energy only falls when a reset the counter later disproved is undone (the torn readings
    // that looked like a restarted counter are dropped), and never below where it stood when
    // that reset was taken. Known and documented (docs/RELIABILITY.md): the sampler's series
    // keeps the points recorded in between.
    if (s.segments > static_cast<int>(energy_at_segment.size())) {
      energy_at_segment.resize(static_cast<std::size_t>(s.segments), last_energy);
    }
    if (s.energy_j < last_energy) {
      JT_FUZZ_CHECK(s.segments < last_segments);
      JT_FUZZ_CHECK(s.energy_j >= energy_at_segment[static_cast<std::size_t>(s.segments)]);
    }
    if (s.segments < static_cast<int>(energy_at_segment.size())) {
      energy_at_segment.resize(static_cast<std::size_t>(std::max(s.segments, 0)));
    }
    last_energy = s.energy_j;
    last_segments = s.segments;
    JT_FUZZ_CHECK(std::isfinite(s.peak_power_w) && s.peak_power_w >= 0.0);
    JT_FUZZ_CHECK(std::isfinite(s.gap_s) && s.gap_s >= 0.0);
    JT_FUZZ_CHECK(s.segments >= 0);
    const std::uint64_t counted = s.samples + s.skipped + s.unavailable;
    JT_FUZZ_CHECK(counted + ignored <= given);
    if (finished) JT_FUZZ_CHECK(counted + ignored == given);
    if (s.samples > 0) {
      JT_FUZZ_CHECK(s.last_t_ns >= s.first_t_ns);
      const double elapsed_s = static_cast<double>(s.last_t_ns - s.first_t_ns) * 1e-9;
      const double modulus_j = static_cast<double>(info.wrap_modulus) * info.scale;
      const double bound_j =
          plausible_w * (elapsed_s + static_cast<double>(s.samples) * info.update_period_s) +
          modulus_j;
      JT_FUZZ_CHECK(s.energy_j <= bound_j * (1.0 + 1e-9) + 1e-9);
    }
  };

  while (in.remaining_bytes() > 0 && given < 100'000) {
    const auto op = in.ConsumeIntegral<std::uint8_t>();
    // Time moves forward by up to ~4.3 s, in nanoseconds or microseconds.
    const auto step = in.ConsumeIntegral<std::uint32_t>();
    t_ns += (op & 0x80) ? static_cast<std::int64_t>(step) * 1000 : static_cast<std::int64_t>(step);
    // How the raw value moves: small or larger advance, any value, torn (leading digits), small
    // decrease, small advance that wraps.
    switch ((op >> 2) & 0x7) {
      case 0:
      case 1:
      case 2: raw += in.ConsumeIntegral<std::uint16_t>(); break;
      case 3: raw += in.ConsumeIntegral<std::uint32_t>(); break;
      case 4: raw = in.ConsumeIntegral<std::uint64_t>(); break;
      case 5: raw /= 1 + in.ConsumeIntegralInRange<std::uint64_t>(0, 1'000'000'000); break;
      case 6: raw -= std::min<std::uint64_t>(raw, in.ConsumeIntegral<std::uint16_t>()); break;
      default:  // a small advance of a counter that wraps at its modulus
        raw += in.ConsumeIntegral<std::uint16_t>();
        if (info.wrap_modulus > 0) raw %= info.wrap_modulus;
        break;
    }
    jt::Reading r;
    r.t_ns = t_ns;
    r.raw = raw;
    switch (op & 0x3) {
      case 0: r.status = jt::Reading::Status::kOk; break;
      case 1:
        r.status = (op & 0x40) ? jt::Reading::Status::kSkipped : jt::Reading::Status::kOk;
        break;
      case 2:
        r.status = (op & 0x40) ? jt::Reading::Status::kUnavailable : jt::Reading::Status::kOk;
        break;
      default:
        r.status = (op & 0x60) == 0x60 ? jt::Reading::Status::kLost : jt::Reading::Status::kOk;
    }
    ++given;
    if (r.status == jt::Reading::Status::kLost) {
      lost = true;
      ++ignored;
    } else if (r.status == jt::Reading::Status::kOk && lost) {
      ++ignored;
    }
    const bool used = acc.update(r);
    if (trace) {
      const auto& st = acc.stats();
      std::fprintf(stderr,
                   "t=%lld raw=%llu status=%d used=%d energy=%.9g samples=%llu skipped=%llu "
                   "unavailable=%llu segments=%d wraps=%llu\n",
                   static_cast<long long>(r.t_ns), static_cast<unsigned long long>(r.raw),
                   static_cast<int>(r.status), used ? 1 : 0, st.energy_j,
                   static_cast<unsigned long long>(st.samples),
                   static_cast<unsigned long long>(st.skipped),
                   static_cast<unsigned long long>(st.unavailable), st.segments,
                   static_cast<unsigned long long>(st.wraps));
    }
    check(false);
    if (t_ns > (std::int64_t{1} << 61)) break;  // far from overflow; no run lasts 70 years
  }
  acc.finish();
  check(true);
  return 0;
}
