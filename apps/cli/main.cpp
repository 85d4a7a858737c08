// SPDX-License-Identifier: BSD-3-Clause
#include <fmt/format.h>

#include <string>
#include <variant>
#include <vector>

#include "arguments.hpp"
#include "command_line.hpp"
#include "verbs.hpp"

namespace {

int dispatch(const jt::cli::Invocation& invocation) {
  using Verb = jt::cli::Invocation::Verb;
  switch (invocation.verb) {
    case Verb::kRun: return jt::cli::run_verb(invocation.run);
    case Verb::kSensors: return jt::cli::sensors_verb(invocation.sensors);
    case Verb::kNode: return jt::cli::node_verb(invocation.node);
    case Verb::kCalibrate: return jt::cli::calibrate_verb(invocation.calibrate);
    case Verb::kMark: return jt::cli::mark_verb(invocation.mark);
    case Verb::kAgent: return jt::cli::agent_verb(invocation.agent);
    case Verb::kJob: return jt::cli::job_verb(invocation.job);
    case Verb::kJobs: return jt::cli::jobs_verb(invocation.jobs);
    case Verb::kCompare: return jt::cli::compare_verb(invocation.compare);
    case Verb::kStudy: return jt::cli::study_verb(invocation.study);
    case Verb::kReport: return jt::cli::report_verb(invocation.report);
  }
  return jt::cli::kExitOwnFailure;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> words(argv + 1, argv + argc);
    auto parsed = jt::cli::parse_command_line(words);
    if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
    return dispatch(std::get<jt::cli::Invocation>(parsed));
  } catch (const std::exception& e) {
    fmt::print(stderr, "jouletrace: internal error: {}\n", e.what());
    return jt::cli::kExitOwnFailure;
  }
}
