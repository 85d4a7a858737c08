// SPDX-License-Identifier: BSD-3-Clause
// A vendor GPU library found only by its default name is loaded only where its driver has a
// device (src/sensors/gpu_driver_presence.hpp): what the probes report, on fixture trees.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "sensors/backends.hpp"
#include "support/test_support.hpp"

namespace {

using jt::ProbeReport;

struct NoLibraryConfigured {
  NoLibraryConfigured() {
    for (const char* v : {"JOULETRACE_AMD_SMI_LIBRARY", "JOULETRACE_ROCM_SMI_LIBRARY",
                          "JOULETRACE_LEVEL_ZERO_LIBRARY"}) {
      ::unsetenv(v);
    }
  }
};

void expect_not_loaded(const jt::ProbeOutcome& outcome, const std::string& drivers) {
  EXPECT_TRUE(outcome.sensors.empty());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kAbsent);
  EXPECT_NE(outcome.reports[0].detail.find("no " + drivers + " device in"), std::string::npos)
      << outcome.reports[0].detail;
  EXPECT_NE(outcome.reports[0].detail.find("is not loaded"), std::string::npos);
}

}  // namespace

TEST(GpuDriverPresence, DefaultLibrariesAreNotLoadedWithoutTheirDriversDevice) {
  const NoLibraryConfigured none;
  const jt::test::TempTree tree;  // no class/hwmon at all
  jt::ProbeContext context;
  context.sysfs_root = tree.path();
  expect_not_loaded(jt::probe_amd_smi(context), "amdgpu");
  expect_not_loaded(jt::probe_rocm_smi(context), "amdgpu");
  expect_not_loaded(jt::probe_level_zero(context), "xe or i915");
}

TEST(GpuDriverPresence, AnotherVendorsDeviceDoesNotCount) {
  const NoLibraryConfigured none;
  const jt::test::TempTree tree("sysfs/amd-mi210");  // an amdgpu hwmon device
  jt::ProbeContext context;
  context.sysfs_root = tree.path();
  expect_not_loaded(jt::probe_level_zero(context), "xe or i915");
}

TEST(GpuDriverPresence, ANamedLibraryIsLoadedWithoutTheDriversDevice) {
  const NoLibraryConfigured none;
  const jt::test::TempTree tree;
  jt::ProbeContext context;
  context.sysfs_root = tree.path();
  context.rocm_smi_library = "/nonexistent/librocm_smi64.so.5";
  const auto outcome = jt::probe_rocm_smi(context);
  ASSERT_EQ(outcome.reports.size(), 1u);
  // The dynamic loader's answer: it was tried.
  EXPECT_NE(outcome.reports[0].detail.find("/nonexistent/librocm_smi64.so.5"), std::string::npos)
      << outcome.reports[0].detail;
  ::setenv("JOULETRACE_LEVEL_ZERO_LIBRARY", "/nonexistent/libze_loader.so.1", 1);
  jt::ProbeContext plain;
  plain.sysfs_root = tree.path();
  const auto named = jt::probe_level_zero(plain);
  ::unsetenv("JOULETRACE_LEVEL_ZERO_LIBRARY");
  ASSERT_EQ(named.reports.size(), 1u);
  EXPECT_NE(named.reports[0].detail.find("/nonexistent/libze_loader.so.1"), std::string::npos);
}
