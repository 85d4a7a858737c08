// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "sampler/sampler.hpp"

namespace jt::cli {

// The CSV time series, written while the command runs so that a killed run keeps it: rows are
// appended and flushed once they can no longer change (see Sampler::settled_before_ns).
class CsvStream {
 public:
  // Creates (truncates) the file and writes the header.
  static Result<CsvStream> open(const std::string& path);
  // A new run (--repeat) has a new timeline: its samples start again at the first.
  void begin_run() { written_.clear(); }
  // Appends every sample recorded before its channel's settled time at `now_ns`, or every
  // sample when `everything` (the run is over), and flushes.
  Result<void> append(const Timeline& timeline, std::int64_t origin_ns, std::int64_t now_ns,
                      bool everything);
  const std::string& path() const { return path_; }
  // After a failed write nothing more is appended; the run then saves the series elsewhere.
  bool failed() const { return failed_; }

 private:
  struct Closer {
    void operator()(std::FILE* f) const { (void)std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> file_;
  std::string path_;
  std::vector<std::size_t> written_;  // per channel: samples already in the file
  bool failed_ = false;
};

}  // namespace jt::cli
