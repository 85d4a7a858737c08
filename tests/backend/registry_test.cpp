#include "sensors/registry.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace jt {
namespace {

ProbeContext context_for(const test::TempTree& tree) {
  ProbeContext ctx;
  ctx.sysfs_root = tree.path();
  ctx.dev_root = tree / "dev";
  ctx.nvml_library = "/nonexistent/libnvidia-ml.so.1";
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
  const auto outcome = probe_all(context_for(tree));
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
  const auto outcome = probe_all(context_for(tree));
  EXPECT_TRUE(outcome.sensors.empty());
  for (const char* backend : {"powercap", "msr", "hwmon", "nvml"}) {
    const auto* r = report_of(outcome, backend);
    ASSERT_NE(r, nullptr) << backend;
    EXPECT_NE(r->status, ProbeReport::Status::kPresent) << backend;
    EXPECT_FALSE(r->detail.empty()) << backend;
  }
}

}  // namespace
}  // namespace jt
