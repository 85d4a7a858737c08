// SPDX-License-Identifier: BSD-3-Clause
#include "csv_stream.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "report/run_report.hpp"

namespace jt::cli {

Result<CsvStream> CsvStream::open(const std::string& path) {
  CsvStream stream;
  stream.path_ = path;
  stream.file_.reset(std::fopen(path.c_str(), "we"));  // close-on-exec: not the command's
  if (!stream.file_) {
    return make_error(ErrorKind::kIo,
                      fmt::format("--csv {}: cannot create it: {}", path, std::strerror(errno)));
  }
  if (std::fputs(kTimelineCsvHeader, stream.file_.get()) < 0 ||
      std::fflush(stream.file_.get()) != 0) {
    return make_error(ErrorKind::kIo,
                      fmt::format("--csv {}: cannot write: {}", path, std::strerror(errno)));
  }
  return stream;
}

Result<void> CsvStream::append(const Timeline& timeline, std::int64_t origin_ns,
                               std::int64_t now_ns, bool everything) {
  if (failed_)
    return make_error(ErrorKind::kIo, fmt::format("--csv {}: an earlier write failed", path_));
  written_.resize(timeline.series.size(), 0);
  std::string rows;
  for (std::size_t c = 0; c < timeline.series.size(); ++c) {
    const ChannelSeries& s = timeline.series[c];
    std::size_t until = s.t_ns.size();
    if (!everything) {
      const std::int64_t settled =
          Sampler::settled_before_ns(timeline.channels[c], timeline.channel_interval_s[c], now_ns);
      while (until > written_[c] && s.t_ns[until - 1] >= settled) --until;
    }
    if (until <= written_[c]) continue;
    rows += format_timeline_rows(timeline.channels[c], s, written_[c], until, origin_ns);
    written_[c] = until;
  }
  if (rows.empty()) return {};
  if (std::fwrite(rows.data(), 1, rows.size(), file_.get()) != rows.size() ||
      std::fflush(file_.get()) != 0) {
    failed_ = true;
    return make_error(ErrorKind::kIo,
                      fmt::format("--csv {}: write failed: {}", path_, std::strerror(errno)));
  }
  return {};
}

}  // namespace jt::cli
