// SPDX-License-Identifier: BSD-3-Clause
#include "agent/journal.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "core/clock.hpp"

namespace jt::agent {

namespace {

constexpr const char* kMagic = "jouletrace-journal 1";
constexpr const char* kFileName = "history.journal";

std::string read_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

struct Header {
  std::string boot_id;
  std::int64_t step_ns = 0;
  std::int64_t clock_offset_ns = 0;  // realtime minus monotonic when written
  std::vector<std::string> ids;
  std::size_t size = 0;  // bytes up to the first row
};

// The text header; empty when the file is not a journal of this version.
std::optional<Header> parse_header(const std::string& content) {
  std::istringstream in(content);
  std::string line;
  if (!std::getline(in, line) || line != kMagic) return std::nullopt;
  Header h;
  std::size_t channels = 0;
  std::string key;
  if (!(in >> key >> h.boot_id) || key != "boot") return std::nullopt;
  if (!(in >> key >> h.step_ns) || key != "step_ns" || h.step_ns <= 0) return std::nullopt;
  if (!(in >> key >> h.clock_offset_ns) || key != "realtime_minus_monotonic_ns")
    return std::nullopt;
  if (!(in >> key >> channels) || key != "channels" || channels > 100'000) return std::nullopt;
  std::getline(in, line);
  for (std::size_t i = 0; i < channels; ++i) {
    if (!std::getline(in, line)) return std::nullopt;
    h.ids.push_back(line);
  }
  if (!std::getline(in, line) || line != "rows") return std::nullopt;
  // tellg says -1 once getline has hit the end: a journal of no rows that lost its last newline.
  const std::streamoff end = in.tellg();
  h.size = end < 0 ? content.size() : static_cast<std::size_t>(end);
  return h;
}

// The header and at most the newest `max_rows` rows (and a torn remainder) of a journal, so
// that reading one back costs no more than the rows kept: a journal due for compaction holds
// twice as many.
struct JournalFile {
  std::optional<Header> header;
  std::string body;
};

JournalFile read_newest(const std::filesystem::path& path, std::size_t max_rows) {
  JournalFile file;
  std::ifstream in(path, std::ios::binary);
  constexpr std::size_t kHeaderBytes = std::size_t{1} << 20;  // some 20000 channel ids
  std::string head(kHeaderBytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  file.header = parse_header(head);
  if (!file.header) return file;
  in.clear();
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  const std::size_t row_bytes = sizeof(std::int64_t) + file.header->ids.size() * sizeof(double);
  const std::size_t rows = (size - file.header->size) / row_bytes;
  const std::size_t skip = rows > max_rows ? rows - max_rows : 0;
  const std::size_t from = file.header->size + skip * row_bytes;
  file.body.resize(size - from);
  in.seekg(static_cast<std::streamoff>(from));
  in.read(file.body.data(), static_cast<std::streamsize>(file.body.size()));
  file.body.resize(static_cast<std::size_t>(in.gcount()));
  return file;
}

// A row's instant moved to this boot's clock and onto the step's grid; empty when it lies past
// 2^62 ns (146 years) either way, which only a corrupt row or header gives, and where the
// arithmetic on it would overflow.
std::optional<std::int64_t> row_instant(std::int64_t written, std::int64_t shift,
                                        std::int64_t step_ns) {
  constexpr std::int64_t kMaxInstantNs = std::int64_t{1} << 62;
  std::int64_t t = 0;
  if (__builtin_add_overflow(written, shift, &t) || t < -kMaxInstantNs || t > kMaxInstantNs)
    return std::nullopt;
  return t - ((t % step_ns) + step_ns) % step_ns;
}

// The rows of an earlier journal on the current channels and this boot's clock.
Journal::Rows take_over(const Header& h, std::string_view body, const std::vector<std::string>& ids,
                        std::int64_t step_ns, std::size_t max_rows, const std::string& boot_id) {
  Journal::Rows rows;
  rows.step_ns = step_ns;
  if (h.step_ns != step_ns) {
    rows.note = fmt::format("the journal's step ({} ns) is not this agent's; its rows are not kept",
                            h.step_ns);
    return rows;
  }
  const std::size_t n_old = h.ids.size();
  const std::size_t row_bytes = sizeof(std::int64_t) + n_old * sizeof(double);
  std::size_t count = body.size() / row_bytes;
  const std::size_t skip = count > max_rows ? count - max_rows : 0;
  std::vector<std::ptrdiff_t> map(ids.size(), -1);
  for (std::size_t c = 0; c < ids.size(); ++c) {
    for (std::size_t o = 0; o < n_old; ++o) {
      if (h.ids[o] == ids[c]) map[c] = static_cast<std::ptrdiff_t>(o);
    }
  }
  // Another boot: its monotonic clock started elsewhere; the wall clock places the rows.
  std::int64_t shift = 0;
  if (h.boot_id != boot_id &&
      __builtin_sub_overflow(h.clock_offset_ns, realtime_minus_monotonic_ns(), &shift)) {
    rows.note = "the journal's clock offset is not a time; its rows are not kept";
    return rows;
  }
  std::int64_t expected_t = 0;
  for (std::size_t r = skip; r < count; ++r) {
    const char* at = body.data() + r * row_bytes;
    std::int64_t written = 0;
    std::memcpy(&written, at, sizeof written);
    const auto t = row_instant(written, shift, step_ns);
    // The rows must lie on one grid; what follows a jump or a corrupt instant is not trusted.
    if (!t || (rows.row_count > 0 && *t != expected_t)) break;
    if (rows.row_count == 0) rows.first_t_ns = *t;
    expected_t = *t + step_ns;
    for (std::size_t c = 0; c < ids.size(); ++c) {
      double v = std::numeric_limits<double>::quiet_NaN();
      if (map[c] >= 0) {
        std::memcpy(&v, at + sizeof written + static_cast<std::size_t>(map[c]) * sizeof(double),
                    sizeof v);
      }
      rows.values.push_back(v);
    }
    ++rows.row_count;
  }
  if (body.size() % row_bytes != 0)
    rows.note = "the last row was torn (the agent was killed while writing it)";
  return rows;
}

}  // namespace

std::string Journal::header() const {
  std::string text =
      fmt::format("{}\nboot {}\nstep_ns {}\nrealtime_minus_monotonic_ns {}\nchannels {}\n", kMagic,
                  boot_id_.empty() ? "unknown" : boot_id_, step_ns_, realtime_minus_monotonic_ns(),
                  ids_.size());
  for (const auto& id : ids_) text += id + "\n";
  return text + "rows\n";
}

Result<Journal> Journal::open(const std::filesystem::path& state_dir,
                              std::vector<std::string> channel_ids, std::int64_t step_ns,
                              std::size_t max_rows) {
  Journal journal;
  journal.path_ = state_dir / kFileName;
  journal.ids_ = std::move(channel_ids);
  journal.step_ns_ = step_ns;
  journal.max_rows_ = std::max<std::size_t>(1, max_rows);
  journal.boot_id_ = read_boot_id();
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    return make_error(
        ErrorKind::kIo,
        fmt::format("cannot create the state directory {}: {}", state_dir.string(), ec.message()),
        "give --state-dir a directory the agent can write");
  }
  if (std::filesystem::exists(journal.path_)) {
    const JournalFile file = read_newest(journal.path_, journal.max_rows_);
    if (file.header) {
      journal.recovered_ = take_over(*file.header, file.body, journal.ids_, step_ns,
                                     journal.max_rows_, journal.boot_id_);
    } else {
      journal.recovered_.note = "the journal was not readable; it starts anew";
    }
  }
  const Rows& kept = journal.recovered_;
  if (auto ok = journal.rewrite(kept.values, kept.row_count, kept.first_t_ns); !ok) {
    return std::unexpected(ok.error());
  }
  return journal;
}

Result<void> Journal::rewrite(const std::vector<double>& values, std::size_t row_count,
                              std::int64_t first_t_ns) {
  // Written row by row to a temporary beside it, then renamed over it: a reader (or a kill)
  // sees the old journal or the whole new one, and no second copy of the rows is built.
  const std::filesystem::path temporary = path_.string() + ".new";
  fd_.reset();
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    const std::string text = header();
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    const std::size_t n = ids_.size();
    for (std::size_t r = 0; r < row_count && out; ++r) {
      const std::int64_t t = first_t_ns + static_cast<std::int64_t>(r) * step_ns_;
      out.write(reinterpret_cast<const char*>(&t), sizeof t);
      out.write(reinterpret_cast<const char*>(values.data() + r * n),
                static_cast<std::streamsize>(n * sizeof(double)));
    }
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      return make_error(ErrorKind::kIo, fmt::format("cannot write {}", temporary.string()),
                        "is the state directory's file system full?");
    }
  }
  ::chmod(temporary.c_str(), 0600);
  std::error_code ec;
  std::filesystem::rename(temporary, path_, ec);
  if (ec) {
    return make_error(ErrorKind::kIo,
                      fmt::format("cannot replace {}: {}", path_.string(), ec.message()));
  }
  fd_.reset(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (!fd_.valid()) {
    return make_error(ErrorKind::kIo,
                      fmt::format("cannot open {}: {}", path_.string(), std::strerror(errno)));
  }
  rows_in_file_ = row_count;
  first_t_in_file_ns_ = first_t_ns;
  return {};
}

Result<void> Journal::append(std::int64_t t_ns, std::span<const double> row) {
  if (rows_in_file_ >= 2 * max_rows_) {
    // Compact from the file itself: the agent keeps no second copy of a day of rows.
    Rows kept;
    if (const JournalFile file = read_newest(path_, max_rows_); file.header) {
      kept = take_over(*file.header, file.body, ids_, step_ns_, max_rows_, boot_id_);
    }
    if (auto ok = rewrite(kept.values, kept.row_count, kept.first_t_ns); !ok) return ok;
  }
  std::string record(reinterpret_cast<const char*>(&t_ns), sizeof t_ns);
  record.append(reinterpret_cast<const char*>(row.data()), row.size() * sizeof(double));
  if (::write(fd_.get(), record.data(), record.size()) != static_cast<ssize_t>(record.size())) {
    return make_error(ErrorKind::kIo,
                      fmt::format("cannot append to {}: {}", path_.string(), std::strerror(errno)));
  }
  ++rows_in_file_;
  return {};
}

}  // namespace jt::agent
