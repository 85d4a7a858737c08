// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace jt::cli {

// Shell completion scripts generated from the CLI11 definition itself (every verb and option
// parse_command_line knows), so that they cannot drift from it. `jouletrace
// --generate-completions bash|zsh` prints them; the build installs them (docs/INSTALL.md).
std::string bash_completion(const CLI::App& app);
std::string zsh_completion(const CLI::App& app);

}  // namespace jt::cli
