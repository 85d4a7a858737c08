// SPDX-License-Identifier: BSD-3-Clause
// The C API's contract: statuses, misuse, versioned structs, init and shutdown.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "api/api_test_support.hpp"
#include "jouletrace/jouletrace.h"
#include "support/test_support.hpp"

namespace jt {
namespace {

class CApi : public test::FreshLibraryTest {
 protected:
  // Self mode on a node without sensors: quick to start, every marker path available.
  void init_without_sensors() {
    const jt_options o = test::options_for(test::fixture_dir("sysfs/no-sensors").string());
    ASSERT_EQ(jt_init(&o), JT_OK) << jt_last_error();
  }
};

TEST_F(CApi, CallsBeforeInitSayNotInitialized) {
  EXPECT_EQ(jt_current_mode(), JT_MODE_UNINITIALIZED);
  jt_window w = 7;
  EXPECT_EQ(jt_window_begin("x", &w), JT_ERR_NOT_INITIALIZED);
  EXPECT_NE(std::string(jt_last_error()).find("jt_init"), std::string::npos);
  EXPECT_EQ(jt_window_add_items(w, 1), JT_ERR_NOT_INITIALIZED);
  jt_measurement m = test::empty_measurement();
  EXPECT_EQ(jt_window_end(w, &m), JT_ERR_NOT_INITIALIZED);
  EXPECT_EQ(jt_window_end(w, nullptr), JT_ERR_NOT_INITIALIZED);
  EXPECT_EQ(jt_shutdown(), JT_ERR_NOT_INITIALIZED);
}

TEST_F(CApi, InitTwiceIsHarmlessAndShutdownEndsIt) {
  init_without_sensors();
  EXPECT_EQ(jt_current_mode(), JT_MODE_SELF);
  EXPECT_EQ(jt_init(nullptr), JT_OK);  // the first options stay
  EXPECT_EQ(jt_current_mode(), JT_MODE_SELF);
  EXPECT_EQ(jt_shutdown(), JT_OK);
  EXPECT_EQ(jt_current_mode(), JT_MODE_UNINITIALIZED);
  jt_window w = 0;
  EXPECT_EQ(jt_window_begin("x", &w), JT_ERR_NOT_INITIALIZED);
  init_without_sensors();  // and again
  EXPECT_EQ(jt_window_begin("x", &w), JT_OK);
}

TEST_F(CApi, BadOptionsAreRefused) {
  jt_options o = test::options_for(test::fixture_dir("sysfs/no-sensors").string());
  o.struct_size = sizeof(o) - 8;
  EXPECT_EQ(jt_init(&o), JT_ERR_VERSION);
  EXPECT_NE(std::string(jt_last_error()).find("struct_size"), std::string::npos);
  o.struct_size = sizeof(o);
  o.flags = 0x80;
  EXPECT_EQ(jt_init(&o), JT_ERR_INVALID_ARGUMENT);
  o.flags = 0;
  o.interval_s = -1.0;
  EXPECT_EQ(jt_init(&o), JT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(jt_current_mode(), JT_MODE_UNINITIALIZED);
}

TEST_F(CApi, NullAndEmptyArgumentsAreInvalid) {
  init_without_sensors();
  jt_window w = 0;
  EXPECT_EQ(jt_window_begin(nullptr, &w), JT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(jt_window_begin("x", nullptr), JT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(jt_window_begin("", &w), JT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(jt_last_error()).find("empty"), std::string::npos);
}

TEST_F(CApi, UnknownWindowsAreReported) {
  init_without_sensors();
  EXPECT_EQ(jt_window_end(0, nullptr), JT_ERR_UNKNOWN_WINDOW);
  EXPECT_EQ(jt_window_end(12345, nullptr), JT_ERR_UNKNOWN_WINDOW);
  EXPECT_EQ(jt_window_add_items(999, 1), JT_ERR_UNKNOWN_WINDOW);
  EXPECT_NE(std::string(jt_last_error()).find("unknown window 999"), std::string::npos);
}

TEST_F(CApi, DoubleEndAndItemsAfterEndAreUnknown) {
  init_without_sensors();
  jt_window w = 0;
  ASSERT_EQ(jt_window_begin("phase", &w), JT_OK);
  EXPECT_NE(w, 0u);
  EXPECT_EQ(jt_window_end(w, nullptr), JT_OK);
  EXPECT_EQ(jt_window_end(w, nullptr), JT_ERR_UNKNOWN_WINDOW);
  EXPECT_EQ(jt_window_add_items(w, 3), JT_ERR_UNKNOWN_WINDOW);
}

TEST_F(CApi, SmallMeasurementStructIsRefusedAndTheWindowStaysOpen) {
  init_without_sensors();
  jt_window w = 0;
  ASSERT_EQ(jt_window_begin("phase", &w), JT_OK);
  jt_measurement m = test::empty_measurement();
  m.struct_size = sizeof(m) - 1;
  EXPECT_EQ(jt_window_end(w, &m), JT_ERR_VERSION);
  EXPECT_NE(std::string(jt_last_error()).find("struct_size"), std::string::npos);
  EXPECT_EQ(jt_window_add_items(w, 1), JT_OK);
  m.struct_size = sizeof(m);
  // No sensor on this node: the window ends normally, its energy unknown and said why.
  EXPECT_EQ(jt_window_end(w, &m), JT_OK);
  EXPECT_EQ(m.energy_known, 0);
  EXPECT_TRUE(std::isnan(m.energy_j));
  EXPECT_NE(std::string(m.note).find("no energy sensor"), std::string::npos) << m.note;
  EXPECT_STREQ(m.method, "none");
  EXPECT_EQ(m.items, 1u);
  EXPECT_EQ(m.struct_size, sizeof(m));
  EXPECT_EQ(jt_window_end(w, nullptr), JT_ERR_UNKNOWN_WINDOW);
}

TEST_F(CApi, HandlesFromBeforeShutdownAreUnknownAfterwards) {
  init_without_sensors();
  jt_window w = 0;
  ASSERT_EQ(jt_window_begin("phase", &w), JT_OK);
  ASSERT_EQ(jt_shutdown(), JT_OK);
  init_without_sensors();
  EXPECT_EQ(jt_window_end(w, nullptr), JT_ERR_UNKNOWN_WINDOW);
  jt_window again = 0;
  ASSERT_EQ(jt_window_begin("phase", &again), JT_OK);
  EXPECT_NE(again, w);
}

TEST_F(CApi, WindowsNestOverlapAndCountTheirOwnItems) {
  init_without_sensors();
  jt_window outer = 0;
  jt_window inner = 0;
  ASSERT_EQ(jt_window_begin("outer", &outer), JT_OK);
  ASSERT_EQ(jt_window_begin("inner", &inner), JT_OK);
  EXPECT_NE(outer, inner);
  EXPECT_EQ(jt_window_add_items(inner, 10), JT_OK);
  EXPECT_EQ(jt_window_add_items(outer, 3), JT_OK);
  EXPECT_EQ(jt_window_add_items(inner, 5), JT_OK);
  jt_measurement m = test::empty_measurement();
  EXPECT_EQ(jt_window_end(outer, &m), JT_OK);  // overlapping: outer ends first
  EXPECT_EQ(m.items, 3u);
  EXPECT_EQ(jt_window_end(inner, &m), JT_OK);
  EXPECT_EQ(m.items, 15u);
  EXPECT_GT(m.duration_s, 0.0);
  EXPECT_GE(m.start_s, 0.0);
}

TEST_F(CApi, TooManyOpenWindowsForgetTheOldest) {
  init_without_sensors();
  std::vector<jt_window> windows(1100);
  for (auto& w : windows) ASSERT_EQ(jt_window_begin("leaked", &w), JT_OK);
  EXPECT_EQ(jt_window_end(windows.front(), nullptr), JT_ERR_UNKNOWN_WINDOW);
  EXPECT_EQ(jt_window_end(windows.back(), nullptr), JT_OK);
}

TEST_F(CApi, EveryStatusHasAString) {
  for (jt_status s : {JT_OK, JT_ERR_INVALID_ARGUMENT, JT_ERR_NOT_INITIALIZED, JT_ERR_UNKNOWN_WINDOW,
                      JT_ERR_NOT_AVAILABLE, JT_ERR_BUFFER_FULL, JT_ERR_VERSION, JT_ERR_INTERNAL}) {
    EXPECT_GT(std::strlen(jt_status_string(s)), 1u) << s;
  }
  EXPECT_STREQ(jt_status_string(static_cast<jt_status>(42)), "unknown status");
  EXPECT_NE(jt_last_error(), nullptr);
}

TEST_F(CApi, LastErrorIsPerThread) {
  jt_window w = 0;
  EXPECT_EQ(jt_window_begin("x", &w), JT_ERR_NOT_INITIALIZED);
  std::string other;
  std::thread([&] { other = jt_last_error(); }).join();
  EXPECT_EQ(other, "");
  EXPECT_NE(std::string(jt_last_error()), "");
}

}  // namespace
}  // namespace jt
