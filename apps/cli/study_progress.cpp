// SPDX-License-Identifier: BSD-3-Clause
#include "study_progress.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace jt::cli {

void StudyProgress::status(const std::string& line) {
  if (!on_terminal_) return;
  // Carriage return and erase-line: the status is rewritten where it stands.
  fmt::print(stderr, "\r\x1b[K{}", line);
  (void)std::fflush(stderr);  // a progress line that does not show is no error
  shown_ = true;
}

void StudyProgress::say(const std::string& line) {
  clear();
  fmt::print(stderr, "{}\n", line);
}

void StudyProgress::clear() {
  if (!shown_) return;
  fmt::print(stderr, "\r\x1b[K");
  (void)std::fflush(stderr);  // a progress line that does not show is no error
  shown_ = false;
}

}  // namespace jt::cli
