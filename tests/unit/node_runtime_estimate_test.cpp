// SPDX-License-Identifier: BSD-3-Clause
// The rated-power data file and the runtime-based estimate (rated power x runtime x PUE).
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "ledger/runtime_estimate.hpp"
#include "report/estimate_text.hpp"
#include "support/test_support.hpp"

namespace jt {
namespace {

TdpTable project_table() {
  auto table = TdpTable::load(JT_TDP_FILE);
  if (!table) ADD_FAILURE() << table.error().message;
  return table.value_or(TdpTable{});
}

// The texts are checked whole against a table of the test's own, so that they do not change
// with the project file's wording.
TdpTable own_table() {
  auto table = TdpTable::parse(R"({"schema": "jouletrace.rated-power", "version": 1, "devices": [
      {"kind": "gpu", "model": "H100 SXM5 80GB", "aliases": ["NVIDIA H100 80GB HBM3"],
       "rated_power_w": 700, "rating": "max board power", "source": "https://example.invalid/h100"},
      {"kind": "gpu", "model": "L40S", "aliases": ["NVIDIA L40S"], "rated_power_w": 350,
       "rating": "max power", "source": "https://example.invalid/l40s"}]})",
                               "own.json");
  if (!table) ADD_FAILURE() << table.error().message;
  return table.value_or(TdpTable{});
}

TEST(ModelNames, NormalisationDropsMarketingAndClock) {
  EXPECT_EQ(normalise_model_name("Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz"),
            "xeon platinum 8380");
  EXPECT_EQ(normalise_model_name("Xeon Platinum 8380"), "xeon platinum 8380");
  EXPECT_EQ(normalise_model_name("AMD EPYC 7763 64-Core Processor"), "epyc 7763");
  EXPECT_EQ(normalise_model_name("11th Gen Intel(R) Core(TM) i7-1185G7 @ 3.00GHz"),
            "core i7 1185g7");
  EXPECT_EQ(normalise_model_name("NVIDIA A100-SXM4-80GB"), "a100 sxm4 80gb");
  EXPECT_EQ(normalise_model_name("Intel(R) Xeon(R) Platinum 8480+"), "xeon platinum 8480+");
  EXPECT_EQ(normalise_model_name("  "), "");
}

TEST(TdpData, ProjectFileLoadsAndCoversTheFixtureParts) {
  const TdpTable table = project_table();
  // Every CPU named in tests/fixtures/proc whose rating has a source (docs/TDP.md).
  const std::vector<std::pair<std::string, double>> cpus = {
      {"AMD EPYC 7763 64-Core Processor", 280.0},
      {"Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz", 270.0},
      {"11th Gen Intel(R) Core(TM) i7-1185G7 @ 3.00GHz", 28.0}};
  for (const auto& [name, watts] : cpus) {
    const RatedDevice* d = table.find(HardwareKind::kCpu, name);
    ASSERT_NE(d, nullptr) << name;
    EXPECT_DOUBLE_EQ(d->rated_power_w, watts) << name;
  }
  const std::vector<std::pair<std::string, double>> gpus = {
      {"NVIDIA H100 80GB HBM3", 700.0}, {"NVIDIA H100 PCIe", 350.0},
      {"NVIDIA A100-SXM4-80GB", 400.0}, {"NVIDIA A100 80GB PCIe", 300.0},
      {"NVIDIA L40S", 350.0},           {"AMD Instinct MI300X", 750.0},
      {"AMD Instinct MI250X", 560.0},   {"H200 SXM", 700.0}};
  for (const auto& [name, watts] : gpus) {
    const RatedDevice* d = table.find(HardwareKind::kGpu, name);
    ASSERT_NE(d, nullptr) << name;
    EXPECT_DOUBLE_EQ(d->rated_power_w, watts) << name;
  }
  for (const auto& d : table.devices()) {
    EXPECT_EQ(d.source.rfind("https://", 0), 0u) << d.model;
    EXPECT_FALSE(d.rating.empty()) << d.model;
  }
}

TEST(TdpData, AmbiguousOrUnknownNamesDoNotMatch) {
  const TdpTable table = project_table();
  // NVML calls both the 700 W SXM and the 600 W NVL part "NVIDIA H200".
  EXPECT_EQ(table.find(HardwareKind::kGpu, "NVIDIA H200"), nullptr);
  EXPECT_EQ(table.find(HardwareKind::kGpu, "NVIDIA A100"), nullptr);  // no prefix matching
  EXPECT_EQ(table.find(HardwareKind::kCpu, "Intel Xeon Processor (Cascadelake)"), nullptr);
  EXPECT_EQ(table.find(HardwareKind::kCpu, "NVIDIA H100 PCIe"), nullptr);  // wrong kind
  EXPECT_EQ(table.find(HardwareKind::kGpu, ""), nullptr);
}

TEST(TdpData, CurrentAndOldSchemaFormsAreReadOthersNamed) {
  const std::string devices = R"("devices": [{"kind": "gpu", "model": "X1", "rated_power_w": 100,
      "rating": "TDP", "source": "https://x"}]})";
  EXPECT_TRUE(TdpTable::parse(R"({"schema": "jouletrace.rated-power", "version": 1, )" + devices,
                              "new.json"));
  // The form before schema + version: files copied for --tdp-file may still have it.
  EXPECT_TRUE(TdpTable::parse(R"({"schema": "jouletrace-tdp/1", )" + devices, "old.json"));
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"schema": "jouletrace.rated-power", )",
       "f.json: \"version\" is missing or not an integer (expected 1)"},
      {R"({"schema": "jouletrace.rated-power", "version": "1", )",
       "f.json: \"version\" is missing or not an integer (expected 1)"},
      {R"({"schema": "jouletrace.rated-power", "version": 2, )",
       "f.json: version is 2; this jouletrace reads jouletrace.rated-power version 1"},
      {R"({"schema": "jouletrace-tdp/2", )",
       "f.json: schema is \"jouletrace-tdp/2\", not \"jouletrace.rated-power\" (version 1)"},
      {R"({"schema": 1, )", "f.json: \"schema\" is missing or not a string"},
  };
  for (const auto& [head, message] : bad) {
    auto t = TdpTable::parse(head + devices, "f.json");
    ASSERT_FALSE(t) << head;
    EXPECT_NE(t.error().message.find(message), std::string::npos) << t.error().message;
  }
}

TEST(TdpData, StrictLoaderNamesTheProblem) {
  const std::string head = R"({"schema": "jouletrace-tdp/1", "devices": [)";
  // One device entry from its fields, so that each case changes one thing.
  auto entry = [](const std::string& kind, const std::string& model, const std::string& watts,
                  const std::string& source, const std::string& extra = "") {
    return R"({"kind": )" + kind + R"(, "model": )" + model + R"(, "rated_power_w": )" + watts +
           R"(, "rating": "TDP", "source": )" + source + extra + "}";
  };
  const std::string ok = entry(R"("gpu")", R"("X1")", "100", R"("https://x")");
  EXPECT_TRUE(TdpTable::parse(head + ok + "]}", "t"));
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"malformed JSON", "{"},
      {"schema", R"({"schema": "other", "devices": []})"},
      {"devices", R"({"schema": "jouletrace-tdp/1", "devices": []})"},
      {"kind", head + entry(R"("fpga")", R"("X")", "1", R"("https://x")") + "]}"},
      {"rated_power_w", head + entry(R"("cpu")", R"("X")", "0", R"("https://x")") + "]}"},
      {"rated_power_w", head + entry(R"("cpu")", R"("X")", R"("100")", R"("https://x")") + "]}"},
      {"source", head + entry(R"("cpu")", R"("X")", "5", R"("vendor")") + "]}"},
      {"model", head + entry(R"("cpu")", "null", "5", R"("https://x")") + "]}"},
      {"ambiguous",
       head + ok + "," +
           entry(R"("gpu")", R"("X2")", "1", R"("https://x")", R"(, "aliases": ["x1"])") + "]}"},
  };
  for (const auto& [what, text] : bad) {
    auto t = TdpTable::parse(text, "bad.json");
    ASSERT_FALSE(t) << what;
    EXPECT_NE(t.error().message.find("bad.json"), std::string::npos) << t.error().message;
    EXPECT_NE(t.error().message.find(what), std::string::npos) << t.error().message;
  }
  auto missing = TdpTable::load("/nonexistent/tdp.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST(TdpData, LocateFollowsExplicitThenEnvironment) {
  EXPECT_EQ(locate_tdp_file("/a/b.json").value(), "/a/b.json");
  ::setenv("JOULETRACE_TDP_FILE", "/env/tdp.json", 1);
  EXPECT_EQ(locate_tdp_file("").value(), "/env/tdp.json");
  ::unsetenv("JOULETRACE_TDP_FILE");
  // Not installed: the source tree's copy.
  auto found = locate_tdp_file("");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_TRUE(TdpTable::load(*found));
}

TEST(RuntimeEstimate, RatedPowerTimesRuntimeTimesPue) {
  const TdpTable table = project_table();
  const std::vector<AllocatedDevice> devices = {
      {HardwareKind::kCpu, "CPU socket 0", "AMD EPYC 7763 64-Core Processor", std::nullopt},
      {HardwareKind::kCpu, "CPU socket 1", "AMD EPYC 7763 64-Core Processor", std::nullopt},
      {HardwareKind::kGpu, "GPU 0 (GPU-a)", "NVIDIA A100-SXM4-80GB", 400.0}};
  // (280 + 280 + 400) W x 100 s x 1.2 = 115200 J against 48000 J measured x 1.2: +100 %.
  const auto est = estimate_from_runtime(
      devices, &table, 100.0, 1.2,
      MeasuredEnergy{test::figure(48000.0, 0.0, Method::kCounter), "sum of components"});
  EXPECT_TRUE(est.complete);
  EXPECT_DOUBLE_EQ(est.estimate_j, 115200.0);
  ASSERT_TRUE(est.relative_error);
  EXPECT_DOUBLE_EQ(*est.relative_error, 1.0);
  EXPECT_DOUBLE_EQ(est.devices[2].energy_j.value(), 48000.0);
  EXPECT_NE(est.devices[0].rated_from.find("data file (EPYC 7763"), std::string::npos);
  EXPECT_NE(est.devices[0].rated_from.find("https://"), std::string::npos);
  EXPECT_TRUE(est.warnings.empty());
}

TEST(RuntimeEstimate, GpuMissingFromTheFileFallsBackToTheNvmlLimitLabelled) {
  const TdpTable table = project_table();
  const std::vector<AllocatedDevice> devices = {
      {HardwareKind::kGpu, "GPU 0", "NVIDIA H200", 650.0}};
  const auto est = estimate_from_runtime(devices, &table, 10.0, 1.0, std::nullopt);
  ASSERT_TRUE(est.devices[0].rated_power_w);
  EXPECT_DOUBLE_EQ(*est.devices[0].rated_power_w, 650.0);
  EXPECT_NE(est.devices[0].rated_from.find("NVML enforced power limit"), std::string::npos);
  EXPECT_DOUBLE_EQ(est.estimate_j, 6500.0);
  EXPECT_FALSE(est.relative_error);
  EXPECT_EQ(est.relative_error_note, "nothing measured to compare with");
}

TEST(RuntimeEstimate, UnknownDevicesAreListedNotZeroAndBlockTheComparison) {
  const TdpTable table = project_table();
  const std::vector<AllocatedDevice> devices = {
      {HardwareKind::kCpu, "CPU socket 0", "Intel Xeon Processor (Cascadelake)", std::nullopt},
      {HardwareKind::kGpu, "GPU 0", "FakeGPU", std::nullopt},
      {HardwareKind::kGpu, "GPU 1", "NVIDIA L40S", std::nullopt}};
  const auto est = estimate_from_runtime(
      devices, &table, 10.0, 1.0,
      MeasuredEnergy{test::figure(1000.0, 0.0, Method::kCounter), "node meter"});
  EXPECT_FALSE(est.complete);
  EXPECT_DOUBLE_EQ(est.estimate_j, 3500.0);  // only the L40S
  EXPECT_FALSE(est.devices[0].rated_power_w);
  EXPECT_NE(est.devices[0].unknown_reason.find("not in the data file"), std::string::npos);
  EXPECT_FALSE(est.relative_error);
  EXPECT_NE(est.relative_error_note.find("2 of 3 devices"), std::string::npos);
  // The text, whole: 350 W x 10 s x PUE 1 = 3500 J from the one rated device.
  const TdpTable own = own_table();
  EXPECT_EQ(format_runtime_estimate(estimate_from_runtime(
                devices, &own, 10.0, 1.0,
                MeasuredEnergy{test::figure(1000.0, 0.0, Method::kCounter), "node meter"})),
            "runtime-based estimate (rated power x 10.000 s x PUE 1): 3500.0 J (partial); no "
            "comparison: 2 of 3 devices have no rated power, so the estimate is partial\n"
            "  CPU socket 0: rated power unknown ('Intel Xeon Processor (Cascadelake)' is not in "
            "the data file), not counted\n"
            "  GPU 0: rated power unknown ('FakeGPU' is not in the data file), not counted\n"
            "  GPU 1 'NVIDIA L40S': 350 W (data file (L40S max power, own.json))\n");
  const auto j = to_json(est);
  EXPECT_TRUE(j["devices"][0]["rated_power_w"].is_null());
  EXPECT_TRUE(j["devices"][0]["energy_j"].is_null());
  EXPECT_TRUE(j["relative_error"].is_null());
}

TEST(RuntimeEstimate, InvalidInputsGiveNoNumbersAndAWarning) {
  const TdpTable table = project_table();
  const std::vector<AllocatedDevice> devices = {
      {HardwareKind::kGpu, "GPU 1", "NVIDIA L40S", std::nullopt}};
  for (const auto& [runtime, pue] : std::vector<std::pair<double, double>>{
           {-1.0, 1.0}, {10.0, 0.5}, {NAN, 1.0}, {10.0, INFINITY}}) {
    const auto est = estimate_from_runtime(
        devices, &table, runtime, pue,
        MeasuredEnergy{test::figure(100.0, 0.0, Method::kCounter), "node meter"});
    EXPECT_DOUBLE_EQ(est.estimate_j, 0.0);
    EXPECT_FALSE(est.complete);
    EXPECT_FALSE(est.relative_error);
    ASSERT_EQ(est.warnings.size(), 1u);
    EXPECT_EQ(est.warnings[0].code, "estimate-inputs-invalid");
    EXPECT_EQ(est.warnings[0].figures.size(), 2u);  // the runtime and the PUE, as given
  }
  const auto no_table = estimate_from_runtime(devices, nullptr, 10.0, 1.0, std::nullopt);
  EXPECT_NE(no_table.devices[0].unknown_reason.find("no data file"), std::string::npos);
  const auto zero = estimate_from_runtime(
      devices, &table, 10.0, 1.0, MeasuredEnergy{test::figure(0.0, 0.0, Method::kCounter), "x"});
  EXPECT_FALSE(zero.relative_error);
}

TEST(RuntimeEstimate, TextAndJsonCarryTheComparison) {
  const TdpTable table = own_table();
  const std::vector<AllocatedDevice> devices = {
      {HardwareKind::kGpu, "GPU 0 (GPU-a)", "NVIDIA H100 80GB HBM3", 700.0}};
  const auto est = estimate_from_runtime(
      devices, &table, 2.0, 1.0,
      MeasuredEnergy{test::figure(1000.0, 0.0, Method::kCounter), "node meter hwmon/x"});
  ASSERT_TRUE(est.relative_error);
  EXPECT_DOUBLE_EQ(*est.relative_error, 0.4);
  // The text, whole: 700 W x 2 s x PUE 1 = 1400 J against 1000 J measured, +40 %.
  EXPECT_EQ(format_runtime_estimate(est),
            "runtime-based estimate (rated power x 2.000 s x PUE 1): 1400.0 J; measured 1000.0 J "
            "(node meter hwmon/x): the estimate is off by +40.0 %\n"
            "  GPU 0 (GPU-a) 'NVIDIA H100 80GB HBM3': 700 W (data file (H100 SXM5 80GB max board "
            "power, own.json))\n");
  const auto j = to_json(est);
  EXPECT_DOUBLE_EQ(j["relative_error"].get<double>(), 0.4);
  EXPECT_DOUBLE_EQ(j["devices"][0]["rated_power_w"].get<double>(), 700.0);
  EXPECT_EQ(j["measured"]["label"], "node meter hwmon/x");
  EXPECT_EQ(j["method"], "rated power x runtime x PUE");
}

TEST(RuntimeEstimate, AllDevicesOfAnInventory) {
  NodeInventory inv;
  inv.cpu_model = Fact<std::string>::known("AMD EPYC 7763 64-Core Processor");
  inv.sockets = Fact<int>::known(2);
  inv.gpus.push_back({3, "nvml/GPU-z", "GPU-z", "NVIDIA L40S", 350.0, "NVML"});
  const auto devices = all_devices(inv);
  ASSERT_EQ(devices.size(), 3u);
  EXPECT_EQ(devices[1].label, "CPU socket 1");
  EXPECT_EQ(devices[2].label, "GPU 3 (GPU-z)");
  EXPECT_EQ(devices[2].power_limit_w, 350.0);
  inv.sockets = Fact<int>::unknown("no topology");
  const auto unknown = all_devices(inv);
  EXPECT_EQ(unknown[0].label, "CPU (socket count unknown)");
}

}  // namespace
}  // namespace jt
