// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>
#include <vector>

#include "study/study_plan.hpp"
#include "study/study_schedule.hpp"

// What `jouletrace study` records beside each cell's runs: the `study` member of its result
// file (docs/STUDY.md). The node's index of them is study_index.hpp's StudyIndex.
namespace jt::study {

// The check before one run that the node was back to idle.
struct IdleCheckRecord {
  int before_run = 1;      // counts from 1
  bool performed = false;  // false: the study was told not to check
  IdleVerdict verdict;     // of the last window measured
  int windows = 0;         // windows measured until idle or the time-out
  double waited_s = 0.0;   // from the first window's start to the verdict
};

struct StudyCellRecord {
  std::string study_name;
  std::string study_file;
  StudyCell cell;
  double cooldown_s = 0.0;
  // Where the idle baseline came from: a calibrated node profile, or the node as the study
  // found it before its first run.
  std::string baseline_source;
  std::vector<IdleCheckRecord> idle_checks;
  std::vector<std::string> warnings;  // e.g. not idle after the time-out; a phase not marked
};

}  // namespace jt::study
