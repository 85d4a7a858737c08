// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <span>
#include <string>
#include <variant>
#include <vector>

#include "verbs.hpp"

namespace jt::cli {

// What a command line asks for: the verb and its options, checked for form and range (files
// named in it are read later, but before anything runs).
struct Invocation {
  enum class Verb {
    kRun,
    kSensors,
    kNode,
    kCalibrate,
    kMark,
    kAgent,
    kJob,
    kJobs,
    kCompare,
    kStudy,
    kReport
  };
  Verb verb = Verb::kRun;
  RunOptions run;
  SensorsOptions sensors;
  NodeOptions node;
  CalibrateOptions calibrate;
  JobOptions job;
  JobsOptions jobs;
  CompareOptions compare;
  StudyOptions study;
  ReportOptions report;
  MarkOptions mark;
  AgentOptions agent;
};

// Parses the words after the program's name. Help and version requests, and errors, are
// printed here and come back as the exit code (0, or kExitOwnFailure).
std::variant<Invocation, int> parse_command_line(std::span<const std::string> words);

}  // namespace jt::cli
