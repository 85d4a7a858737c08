// SPDX-License-Identifier: BSD-3-Clause
// Inputs the fuzz targets (fuzz/) found to break an invariant, fed to the same functions.
// docs/RELIABILITY.md ("Fuzzing") lists them; each test names its target and what broke.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/sysfs_file.hpp"
#include "sampler/channel_accumulator.hpp"
#include "sensors/backends.hpp"
#include "sensors/cpu_topology.hpp"
#include "support/test_support.hpp"

namespace jt {
namespace {

Reading ok(std::int64_t t_ns, std::uint64_t raw) {
  return Reading{t_ns, 0, raw, Reading::Status::kOk};
}

ChannelInfo counter(double scale, std::uint64_t modulus, double update_period_s,
                    double max_power_w) {
  ChannelInfo info;
  info.id = "fuzz/counter";
  info.quantity = Quantity::kEnergyCounter;
  info.scale = scale;
  info.wrap_modulus = modulus;
  info.update_period_s = update_period_s;
  info.max_power_w = max_power_w;
  return info;
}

// sysfs_value: a 37-byte file "10", NULs, a space, NULs, "010". read_u64 reads 32 bytes, and
// parsed them as 10: a number the file does not hold.
TEST(FuzzRegression, SysfsValueLongerThanTheReadIsNotTakenForItsPrefix) {
  const std::string content = std::string("10\0\0\0\0 ", 7) + std::string(27, '\0') + "010";
  ASSERT_EQ(content.size(), 37u);
  ASSERT_FALSE(parse_u64(content));
  test::TempTree tree;
  test::write_file(tree / "energy_uj", content);
  auto attr = OpenAttribute::open(tree / "energy_uj");
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr->read_u64().status, OpenAttribute::Status::kUnparsable);
  // Every real value still reads.
  test::write_file(tree / "energy_uj", "18446744073709551615\n");
  EXPECT_EQ(attr->read_u64().status, OpenAttribute::Status::kOk);
  EXPECT_EQ(attr->read_u64().value, UINT64_MAX);
}

// cpu_modalias: from_chars took "-018" as a hexadecimal family of -0x18.
TEST(FuzzRegression, CpuModaliasFieldWithAMinusSignIsRejected) {
  EXPECT_FALSE(parse_cpu_modalias(":ven162fam-018/mod0"));
  const auto good = parse_cpu_modalias("cpu:type:x86,ven0000fam0006mod0055:feature:,0000,0001");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->family, 6);
  EXPECT_EQ(good->model, 0x55);
}

// counter_sequence (the msr_reset seed): the reading a reset restarts from was counted nowhere,
// so samples + skipped + unavailable fell one short of the readings given.
TEST(FuzzRegression, ReadingsAcrossAResetAreAllAccountedFor) {
  ChannelAccumulator acc(counter(1.0 / 16384, std::uint64_t{1} << 32, 0.001, 300.0), {});
  const std::vector<Reading> readings = {
      ok(1'000'005, 4'000'000'500),
      ok(2'000'005, 4'000'001'000),
      ok(3'000'005, 4'000'001'500),
      ok(4'000'005, 20),  // reset: far too much energy for a wrap in 1 ms
      ok(5'000'005, 520),
      ok(6'000'005, 1020),
      ok(7'000'005, 1520)};
  for (const auto& r : readings) acc.update(r);
  acc.finish();
  const auto& s = acc.stats();
  EXPECT_EQ(s.segments, 2);
  EXPECT_EQ(s.samples + s.skipped + s.unavailable, readings.size());
  EXPECT_DOUBLE_EQ(acc.energy_j(), 5.0 * 500.0 / 16384);  // two steps before, three after
}

// counter_sequence: a held-back value repeated before the next reading confirmed it lost the
// repeats from the bookkeeping.
TEST(FuzzRegression, RepeatedHeldBackReadingsAreAccountedFor) {
  ChannelAccumulator acc(counter(1e-6, 262'143'328'851, 0.001, 100.0), {});
  const std::vector<Reading> readings = {
      ok(0, 262'143'300'000), ok(10'000'000, 41'149),  // through the wrap: held back
      ok(10'000'100, 41'149), ok(10'000'200, 41'149),  // the same value again
      ok(20'000'000, 91'149)};                         // confirms the wrap
  for (const auto& r : readings) acc.update(r);
  acc.finish();
  const auto& s = acc.stats();
  EXPECT_EQ(s.wraps, 1u);
  EXPECT_EQ(s.samples + s.skipped + s.unavailable, readings.size());
}

// counter_sequence: an hwmon average interval of 1.7e16 s made the reset doubt window overflow
// int64 nanoseconds (undefined behaviour; UBSan: "outside the range of representable values").
// Without UBSan the build shows nothing wrong here: this test bites under the sanitizer preset.
TEST(FuzzRegression, HugeUpdatePeriodOrWrapTimeStaysDefined) {
  ChannelAccumulator huge_period(counter(1e-6, 0, 1.67826662e16, 501.0), {});
  EXPECT_TRUE(huge_period.update(ok(0, 1000)));
  EXPECT_TRUE(huge_period.update(ok(1'000'000'000, 2000)));
  EXPECT_TRUE(std::isfinite(huge_period.energy_j()));
  // The largest modulus a sysfs file can state, at a microwatt: a wrap time past int64.
  ChannelAccumulator huge_wrap(counter(1e-6, UINT64_MAX, 0.001, 1e-6), {});
  EXPECT_TRUE(huge_wrap.update(ok(0, 1000)));
  huge_wrap.update(ok(1'000'000'000, 1000));
  EXPECT_TRUE(std::isfinite(huge_wrap.energy_j()));
}

// counter_sequence: torn values that count up look like a reset and are credited, then undone
// when the counter comes back. Known behaviour, kept: energy falls back, but never below the
// energy before the reset, and the bookkeeping stays whole.
TEST(FuzzRegression, UndoneResetNeverFallsBelowTheEnergyBeforeIt) {
  ChannelAccumulator acc(counter(1.0 / 16384, std::uint64_t{1} << 32, 0.001, 300.0), {});
  const std::vector<Reading> readings = {
      ok(2'451'046'643, 6'335'272),  ok(4'598'530'294, 6'394'665),
      ok(8'692'233'465, 6'394'897),  ok(2'164'564'492'465, 6'454'290),  // a gap
      ok(4'580'483'599'465, 0),      ok(4'580'483'599'485, 32'768),     // a gap, then torn
      ok(4'580'483'599'485, 32'768), ok(4'580'483'599'485, 37'888),     // taken for a reset
      ok(4'580'483'600'485, 0)};                                        // back on track
  double before_reset = 0.0;
  for (std::size_t i = 0; i < readings.size(); ++i) {
    if (i == 7) before_reset = acc.energy_j();
    acc.update(readings[i]);
  }
  acc.finish();
  EXPECT_GE(acc.energy_j(), before_reset);
  const auto& s = acc.stats();
  EXPECT_EQ(s.samples + s.skipped + s.unavailable, readings.size());
}

// sysfs_tree: an hwmon attribute whose number does not fit in an int made std::stoi throw out
// of probe_hwmon (the fuzzer's file was "power0222222222222222222_average").
TEST(FuzzRegression, HwmonAttributeNumberPastIntIsSkippedNotThrown) {
  test::TempTree tree;
  const auto device = tree / "class/hwmon/hwmon1";
  test::write_file(device / "name", "power_meter\n");
  test::write_file(device / "power0222222222222222222_average", "250000000\n");
  test::write_file(device / "power99999999999_input", "250000000\n");
  test::write_file(device / "power1_average", "240000000\n");
  ProbeOutcome outcome;
  ASSERT_NO_THROW(outcome = probe_hwmon({.sysfs_root = tree.path()}));
  const auto channels = test::all_channels(outcome);
  ASSERT_EQ(channels.size(), 1u);
  EXPECT_EQ(channels[0].id, "hwmon/power_meter/power1");
}

// probe_nvml over the fake library configured with `config` (JT_FAKE_NVML_CONFIG restored after).
ProbeOutcome probe_fake_nvml(const std::string& config) {
  test::TempTree tree;
  test::write_file(tree / "nvml.conf", config);
  const char* old = std::getenv("JT_FAKE_NVML_CONFIG");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("JT_FAKE_NVML_CONFIG", (tree / "nvml.conf").c_str(), 1);
  ProbeOutcome outcome = probe_nvml({.nvml_library = test::fake_nvml_library()});
  if (old != nullptr) {
    ::setenv("JT_FAKE_NVML_CONFIG", saved.c_str(), 1);
  } else {
    ::unsetenv("JT_FAKE_NVML_CONFIG");
  }
  return outcome;
}

// nvml_sequence: two GPU indices that answered the same UUID became two channels with one id (a
// node profile written from them does not load back: "channel_id is empty or repeated").
TEST(FuzzRegression, NvmlGpusAnsweringOneUuidGiveOneChannel) {
  ProbeOutcome outcome =
      probe_fake_nvml("gpu uuid=GPU-same name=A\ngpu uuid=GPU-same name=B\ngpu uuid=GPU-other\n");
  const auto channels = test::all_channels(outcome);
  ASSERT_EQ(channels.size(), 2u);
  EXPECT_EQ(channels[0].id, "nvml/GPU-same");
  EXPECT_EQ(channels[0].identity.index, 0);
  EXPECT_EQ(channels[1].id, "nvml/GPU-other");
  ASSERT_EQ(outcome.reports.size(), 3u);
  EXPECT_EQ(outcome.reports[1].status, ProbeReport::Status::kError);
  EXPECT_NE(outcome.reports[1].detail.find("same UUID as GPU 0"), std::string::npos);
}

// Seen by nvml_sequence (left alone then, fixed since): UUID and name bytes went as they came into
// channel ids and device names, and from there into CSV and report fields.
TEST(FuzzRegression, NvmlUuidAndNameBytesThatBreakCsvAreReplaced) {
  ProbeOutcome outcome = probe_fake_nvml(
      "gpu uuid=GPU-a,\"b\x01"
      "c name=Card,\x7f\n");
  const auto channels = test::all_channels(outcome);
  ASSERT_EQ(channels.size(), 1u);
  EXPECT_EQ(channels[0].id, "nvml/GPU-a??b?c");
  EXPECT_EQ(channels[0].device, "Card??");
}

}  // namespace
}  // namespace jt
