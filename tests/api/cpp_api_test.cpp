// SPDX-License-Identifier: BSD-3-Clause
// The C++ wrapper (jouletrace/jouletrace.hpp).
#include <gtest/gtest.h>

#include <string>

#include "api/api_test_support.hpp"
#include "jouletrace/jouletrace.hpp"
#include "support/test_support.hpp"

namespace {

class CppApi : public jt::test::FreshLibraryTest {
 protected:
  jouletrace::Options options(const std::string& fixture) {
    jouletrace::Options o;
    o.sysfs_root = jt::test::fixture_dir(fixture).string();
    o.dev_root = o.sysfs_root + "/dev";
    o.nvml_library = "/nonexistent/libnvidia-ml.so.1";
    o.interval_s = 0.01;
    return o;
  }
};

TEST_F(CppApi, WindowMeasuresAndSessionShutsDown) {
  {
    jouletrace::Session session(options("sysfs/intel-2s"));
    EXPECT_EQ(session.mode(), jouletrace::Mode::kSelf);
    jouletrace::Window w("train");
    EXPECT_TRUE(w.open());
    w.add_items(8);
    const auto m = w.end();
    ASSERT_TRUE(m.has_value());
    EXPECT_FALSE(w.open());
    EXPECT_EQ(m->items, 8u);
    EXPECT_FALSE(m->components.empty());
    EXPECT_FALSE(m->method.empty());
    EXPECT_THROW(w.end(), jouletrace::Error);
    EXPECT_THROW(w.add_items(1), jouletrace::Error);
  }
  EXPECT_EQ(jouletrace::current_mode(), jouletrace::Mode::kUninitialized);
}

TEST_F(CppApi, DestructorEndsTheWindowAndMovesTransferIt) {
  jouletrace::Session session(options("sysfs/no-sensors"));
  jt_window id = 0;
  {
    jouletrace::Window a("a");
    id = a.id();
    jouletrace::Window b(std::move(a));
    EXPECT_FALSE(a.open());
    EXPECT_EQ(b.id(), id);
  }
  EXPECT_EQ(jt_window_end(id, nullptr), JT_ERR_UNKNOWN_WINDOW);  // ended by b's destructor
}

TEST_F(CppApi, NoSensorGivesAMeasurementWithUnknownEnergy) {
  jouletrace::Session session(options("sysfs/no-sensors"));
  jouletrace::Window w(std::string("x"));
  w.add_items(3);
  const auto m = w.end();
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->energy_j.has_value());
  EXPECT_FALSE(m->energy_per_item_j.has_value());
  EXPECT_EQ(m->items, 3u);
  EXPECT_EQ(m->method, "none");
  EXPECT_NE(m->note.find("no energy sensor"), std::string::npos) << m->note;
}

TEST_F(CppApi, StrictSessionThrowsWhenTheEnergyIsUnknown) {
  auto o = options("sysfs/no-sensors");
  o.strict = true;
  jouletrace::Session session(o);
  jouletrace::Window w(std::string("x"));
  try {
    w.end();
    FAIL() << "no exception";
  } catch (const jouletrace::Error& e) {
    EXPECT_EQ(e.status(), JT_ERR_NOT_AVAILABLE);
  }
  EXPECT_FALSE(w.open());
}

TEST_F(CppApi, MisuseThrowsWithTheStatus) {
  try {
    jouletrace::Window w("before the session");
    FAIL() << "no exception";
  } catch (const jouletrace::Error& e) {
    EXPECT_EQ(e.status(), JT_ERR_NOT_INITIALIZED);
    EXPECT_NE(std::string(e.what()).find("jt_window_begin"), std::string::npos);
  }
  jouletrace::Session session(options("sysfs/no-sensors"));
  EXPECT_THROW(jouletrace::Window(""), jouletrace::Error);
  jouletrace::Options bad = options("sysfs/no-sensors");
  bad.interval_s = -1;
  jt_shutdown();
  EXPECT_THROW(jouletrace::Session{bad}, jouletrace::Error);
}

}  // namespace
