// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/unique_fd.hpp"

namespace jt::agent {

// The coarse history rows on disk under the state directory, so that a restarted agent still
// serves what it measured before (docs/AGENT.md, "Journal"). A header names the boot, the step,
// the clock offset and the channels; then each row is its CLOCK_MONOTONIC instant and one
// double per channel, in host byte order: the file never leaves the node. A row torn by a kill
// is dropped when the file is read back.
class Journal {
 public:
  struct Rows {
    std::int64_t first_t_ns = 0;  // on this boot's CLOCK_MONOTONIC
    std::int64_t step_ns = 0;
    std::vector<double> values;  // row_count x the current channels; NaN where unknown
    std::size_t row_count = 0;
    std::string note;  // what could not be taken over, for the agent's log
  };

  // Reads what an earlier agent left (mapped to `channel_ids`; rows of another boot moved by
  // the wall clock), then rewrites the file for this agent with those rows kept.
  static Result<Journal> open(const std::filesystem::path& state_dir,
                              std::vector<std::string> channel_ids, std::int64_t step_ns,
                              std::size_t max_rows);

  const Rows& recovered() const { return recovered_; }
  // The recovered rows, moved out: the history keeps them, and a day of rows is not kept twice.
  Rows take_recovered() { return std::exchange(recovered_, Rows{}); }
  // Appends a row; once the file holds twice max_rows it is rewritten with the newest half.
  Result<void> append(std::int64_t t_ns, std::span<const double> row);
  const std::filesystem::path& path() const { return path_; }

 private:
  Journal() = default;
  Result<void> rewrite(const std::vector<double>& values, std::size_t row_count,
                       std::int64_t first_t_ns);
  std::string header() const;

  std::filesystem::path path_;
  std::vector<std::string> ids_;
  std::int64_t step_ns_ = 0;
  std::size_t max_rows_ = 0;
  std::string boot_id_;
  UniqueFd fd_;
  std::size_t rows_in_file_ = 0;
  std::int64_t first_t_in_file_ns_ = 0;
  Rows recovered_;
};

}  // namespace jt::agent
