// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>

namespace jt::cli {

// Where a study is, on a terminal: one status line rewritten in place (cell, run, phase,
// elapsed, energy so far, time left). Elsewhere (a batch job's log) nothing but the lines said
// with `say`: warnings and what was written.
class StudyProgress {
 public:
  explicit StudyProgress(bool on_terminal) : on_terminal_(on_terminal) {}
  ~StudyProgress() { clear(); }
  StudyProgress(const StudyProgress&) = delete;
  StudyProgress& operator=(const StudyProgress&) = delete;

  void status(const std::string& line);
  // A line that stays, printed in every mode.
  void say(const std::string& line);
  void clear();

 private:
  bool on_terminal_;
  bool shown_ = false;
};

}  // namespace jt::cli
