// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <string>

#include "core/result.hpp"

namespace jt {

// Writes the file through a temporary in the same directory and a rename, so a reader sees
// either the old file or the whole new one, never a half-written report or profile.
Result<void> write_file_atomically(const std::filesystem::path& path, const std::string& content);

}  // namespace jt
