// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <CLI/CLI.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace jt::cli {

// jouletrace's own exit codes (README "Exit codes"). Otherwise `run` exits with the command's
// code. 125 is what env, timeout and docker run use for their own failures: commands rarely do.
inline constexpr int kExitOwnFailure = 125;     // bad option or input, internal error
inline constexpr int kExitCannotExecute = 126;  // the command exists but could not be executed
inline constexpr int kExitNotFound = 127;       // the command was not found

// A `run` command line cut where the measured command begins.
struct CommandLine {
  std::vector<std::string> options;  // jouletrace's, for CLI11
  std::vector<std::string> command;  // the command's words, verbatim
};

// Option parsing stops at the first word that is not one of `verb`'s options or their values,
// or after `--` (as perf stat, time, env and srun do), so the command's own options are never
// taken for ours. Short options combine as getopt's do (-qv, -i5ms). A word that looks like an
// option but is none of ours is an error, so a typo cannot become the command.
Result<CommandLine> split_at_command(const CLI::App& verb, std::span<const std::string> words);

// A duration with its unit: "100ms", "250us", "1.5s", "2min", "1h". A bare number is refused,
// so that "5" cannot silently mean 5 ms or 5 s. `option` names the option in messages.
Result<double> parse_duration_s(std::string_view option, std::string_view text, double min_s,
                                double max_s);

// A finite decimal number within [min, max]; `unit` is used in the range message.
Result<double> parse_number(std::string_view option, std::string_view text, double min, double max,
                            std::string_view unit = {});

// "1 h", "100 us": how a duration bound is written in messages.
std::string format_duration(double seconds);

}  // namespace jt::cli
