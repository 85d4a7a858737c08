// SPDX-License-Identifier: BSD-3-Clause
#pragma once

// Golden files of the reporters (tests/golden/README.md): regenerate after an intended change
// with JOULETRACE_UPDATE_GOLDEN=1 and review the diff before committing it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include "support/test_support.hpp"

namespace jt::test {

inline std::filesystem::path golden_path(const std::string& name) {
  return std::filesystem::path(JT_GOLDEN_DIR) / name;
}

inline void expect_golden(const std::string& name, const std::string& actual) {
  const auto path = golden_path(name);
  if (std::getenv("JOULETRACE_UPDATE_GOLDEN") != nullptr) {
    write_file(path, actual);
    return;
  }
  ASSERT_TRUE(std::filesystem::exists(path))
      << path << " is missing; create it with JOULETRACE_UPDATE_GOLDEN=1";
  EXPECT_EQ(read_file(path), actual)
      << "differs from " << path << "; if the change is intended, regenerate with "
      << "JOULETRACE_UPDATE_GOLDEN=1 and review the diff";
}

// The contract of the text reports: every line fits 100 columns.
inline void expect_fits(const std::string& text, std::size_t columns = 100) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::size_t width = 0;
    for (unsigned char c : line) width += (c & 0xC0) != 0x80 ? 1 : 0;
    EXPECT_LE(width, columns) << line;
  }
}

}  // namespace jt::test
