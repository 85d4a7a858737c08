// SPDX-License-Identifier: BSD-3-Clause
#include "study_progress.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace jt::cli {

void StudyProgress::status(const std::string& line) {
  if (!on_terminal_) return;
  // Carriage return and erase-line: the status is rewritten where it stands.
  fmt::print(stderr, "\r\x1b[K{}", line);
  std::fflush(stderr);
  shown_ = true;
}

void StudyProgress::say(const std::string& line) {
  clear();
  fmt::print(stderr, "{}\n", line);
}

void StudyProgress::clear() {
  if (!shown_) return;
  fmt::print(stderr, "\r\x1b[K");
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace jt::cli
