// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "sensors/bmc_backends.hpp"
#include "support/test_support.hpp"

namespace jt {
namespace {

ProbeContext context_for(const test::TempTree& tree) {
  ProbeContext ctx;
  ctx.sysfs_root = tree.path();
  ctx.dev_root = tree / "dev";
  ctx.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  ctx.amd_smi_library = "/nonexistent/libamd_smi.so";
  ctx.rocm_smi_library = "/nonexistent/librocm_smi64.so.5";
  ctx.level_zero_library = "/nonexistent/libze_loader.so.1";
  return ctx;
}

const ProbeReport* report_of(const ProbeOutcome& outcome, const std::string& backend) {
  for (const auto& r : outcome.reports) {
    if (r.backend == backend) return &r;
  }
  return nullptr;
}

TEST(Registry, PowercapWinsAndMsrIsNotRead) {
  test::TempTree tree("sysfs/intel-2s");
  const auto outcome = probe_all(context_for(tree), local_backends());
  const auto* msr = report_of(outcome, "msr");
  ASSERT_NE(msr, nullptr);
  EXPECT_EQ(msr->status, ProbeReport::Status::kNotUsed);
  const auto* nvml = report_of(outcome, "nvml");
  ASSERT_NE(nvml, nullptr);
  EXPECT_EQ(nvml->status, ProbeReport::Status::kAbsent);
  EXPECT_FALSE(nvml->hint.empty());
}

TEST(Registry, EveryBackendSaysWhyItFoundNothing) {
  test::TempTree tree("sysfs/no-sensors");
  const auto outcome = probe_all(context_for(tree), local_backends());
  EXPECT_TRUE(outcome.sensors.empty());
  for (const char* backend :
       {"powercap", "msr", "hwmon", "nvml", "amd_smi", "rocm_smi", "level_zero"}) {
    const auto* r = report_of(outcome, backend);
    ASSERT_NE(r, nullptr) << backend;
    EXPECT_NE(r->status, ProbeReport::Status::kPresent) << backend;
    EXPECT_FALSE(r->detail.empty()) << backend;
  }
}

TEST(Registry, EveryBackendReportsUnderItsTableName) {
  test::TempTree tree("sysfs/no-sensors");
  ProbeContext context = context_for(tree);
  context.redfish_config = tree / "no-redfish.json";
  for (const auto& backend : node_backends()) {
    const ProbeOutcome outcome = backend.probe(context);
    ASSERT_FALSE(outcome.reports.empty()) << backend.name;
    for (const auto& report : outcome.reports) EXPECT_EQ(report.backend, backend.name);
  }
}

TEST(Registry, NoBmcSkipsEveryBmcBackendWithOneReport) {
  test::TempTree tree("sysfs/no-sensors");
  ProbeContext context = context_for(tree);
  context.probe_bmc = false;
  const auto outcome = probe_all(context, node_backends());
  const auto* bmc = report_of(outcome, "bmc");
  ASSERT_NE(bmc, nullptr);
  EXPECT_EQ(bmc->status, ProbeReport::Status::kNotUsed);
  EXPECT_EQ(bmc->detail, "Redfish and IPMI DCMI not probed (--no-bmc)");
  EXPECT_EQ(report_of(outcome, "redfish"), nullptr);
  EXPECT_EQ(report_of(outcome, "ipmi-dcmi"), nullptr);
}

TEST(Registry, SupersededBackendSaysWhichOneWon) {
  test::TempTree tree("sysfs/intel-2s");
  const auto outcome = probe_all(context_for(tree), local_backends());
  const auto* msr = report_of(outcome, "msr");
  ASSERT_NE(msr, nullptr);
  EXPECT_EQ(msr->detail, "powercap RAPL is readable and holds the same counters");
}

ProbeOutcome throwing_probe(const ProbeContext& /*context*/) {
  throw std::runtime_error("a parse the backend did not expect to fail");
}

ProbeOutcome counting_probe(const ProbeContext& context) {
  ProbeOutcome outcome;
  outcome.reports.push_back(
      {"after", ProbeReport::Status::kAbsent, std::to_string(context.earlier_channels.size()), {}});
  return outcome;
}

TEST(Registry, AProbeThatThrowsBecomesAnErrorAndTheOthersStillRun) {
  const std::array table{
      Backend{.name = "thrower", .title = "Thrower", .probe = &throwing_probe},
      Backend{.name = "after", .title = "After", .probe = &counting_probe},
  };
  const auto outcome = probe_all(ProbeContext{}, table);
  const auto* thrower = report_of(outcome, "thrower");
  ASSERT_NE(thrower, nullptr);
  EXPECT_EQ(thrower->status, ProbeReport::Status::kError);
  EXPECT_EQ(thrower->detail, "the probe failed: a parse the backend did not expect to fail");
  ASSERT_NE(report_of(outcome, "after"), nullptr);
}

// The sampler gives a sensor a thread of its own when min_interval_s() > 0: what the table
// declares as the fast lane must come out that way (the fake NVML's counter is cheap).
// Every probe turns an Error into its report the same way.
TEST(Registry, ProbeReportOfAnErrorFollowsItsKind) {
  const std::vector<std::pair<ErrorKind, ProbeReport::Status>> cases = {
      {ErrorKind::kNotFound, ProbeReport::Status::kAbsent},
      {ErrorKind::kPermissionDenied, ProbeReport::Status::kPermissionDenied},
      {ErrorKind::kUnsupported, ProbeReport::Status::kError},
      {ErrorKind::kInvalidData, ProbeReport::Status::kError},
      {ErrorKind::kIo, ProbeReport::Status::kError},
      {ErrorKind::kDeviceLost, ProbeReport::Status::kError},
      {ErrorKind::kUnreachable, ProbeReport::Status::kError},
      {ErrorKind::kTimeout, ProbeReport::Status::kError},
      {ErrorKind::kTls, ProbeReport::Status::kError},
  };
  for (const auto& [kind, status] : cases) {
    const ProbeReport report = probe_report("msr", Error{kind, "what happened", "what to do"});
    EXPECT_EQ(report.backend, "msr");
    EXPECT_EQ(report.status, status) << to_string(kind);
    EXPECT_EQ(report.detail, "what happened");
    EXPECT_EQ(report.hint, "what to do");
  }
}

TEST(Registry, FastLaneBackendsDeliverSensorsReadEveryRound) {
  test::TempTree tree("sysfs/intel-2s");
  ProbeContext context = context_for(tree);
  context.nvml_library = test::fake_nvml_library();
  const auto outcome = probe_all(context, local_backends());
  ASSERT_FALSE(outcome.sensors.empty());
  for (const auto& sensor : outcome.sensors) {
    const auto backend = std::ranges::find(local_backends(), sensor->backend(), &Backend::name);
    ASSERT_NE(backend, local_backends().end()) << sensor->backend();
    EXPECT_EQ(backend->lane, ReadLane::kFast) << sensor->backend();
    EXPECT_EQ(sensor->min_interval_s(), 0.0) << sensor->backend();
  }
}

}  // namespace
}  // namespace jt
