// SPDX-License-Identifier: BSD-3-Clause
// live_rapl_writer: advances fake energy counters (powercap energy_uj style) at known power while
// another process samples them. Standalone test helper: C++ standard library and POSIX only.
//
// Each channel's value at time t (CLOCK_MONOTONIC seconds since start) is
//   (initial + floor(integral of power over [0, t] in uJ)) mod (MAX_RANGE_UJ + 1)
// where `initial` is the number the file held at start. Values are rewritten in place every tick
// (pwrite at offset 0, then ftruncate), never by rename, so a reader holding the file descriptor
// open and pread()ing it sees every update, as with sysfs. See tests/fakes/README.md.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;
constexpr std::int64_t kNsPerSec = 1'000'000'000;

volatile sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int) { g_stop = 1; }

void print_usage(std::FILE* out) {
  std::fputs(
      "usage: live_rapl_writer --channel PATH:WATTS[:MAX_RANGE_UJ] [--channel ...]\n"
      "                        [--tick-ms MS] [--duration-s S]\n"
      "                        [--schedule PATH:T0=W0,T1=W1,...]\n"
      "                        [--glitch PATH:AT_S:MODE:LEN_MS]\n"
      "                        [--ready-file FILE] [--log FILE]\n"
      "\n"
      "  --channel     counter file to advance at WATTS (>= 0). With MAX_RANGE_UJ the value wraps\n"
      "                modulo MAX_RANGE_UJ+1, like energy_uj after max_energy_range_uj. PATH may\n"
      "                contain ':'; the trailing numeric field(s) are WATTS[:MAX_RANGE_UJ].\n"
      "  --tick-ms     write period in milliseconds (default 1; fractions allowed)\n"
      "  --duration-s  stop and exit 0 after this many seconds (default 10; 0 = until signalled)\n"
      "  --schedule    piecewise-constant power for a channel: T0 must be 0, times increasing (s)\n"
      "  --glitch      from AT_S seconds, for LEN_MS ms (at least one tick), the file shows MODE:\n"
      "                empty | garbage | torn; the true energy keeps accumulating meanwhile\n"
      "  --ready-file  created once every channel holds its first value; it holds the\n"
      "                writer's start time on CLOCK_MONOTONIC in ns\n"
      "  --log         at exit, one line per channel: PATH start_uj end_uj "
      "total_written_energy_uj\n"
      "\n"
      "SIGTERM/SIGINT stop cleanly (exit 0). Exit 2 on usage errors, 1 on I/O errors.\n",
      out);
}

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "live_rapl_writer: %s\n", message.c_str());
  print_usage(stderr);
  std::exit(kExitUsage);
}

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  const char* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), last, value, 10);
  if (ec != std::errc() || ptr != last) return std::nullopt;
  return value;
}

// A finite, non-negative decimal number (e.g. "50", "12.5"). No sign, no exponent, no inf/nan.
std::optional<double> parse_nonneg(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || c == '.')) return std::nullopt;
  }
  double value = 0.0;
  const char* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), last, value, std::chars_format::fixed);
  if (ec != std::errc() || ptr != last || !std::isfinite(value) || value < 0.0) return std::nullopt;
  return value;
}

std::int64_t seconds_to_ns(double seconds) {
  return static_cast<std::int64_t>(std::llround(seconds * static_cast<double>(kNsPerSec)));
}

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * kNsPerSec + static_cast<std::int64_t>(ts.tv_nsec);
}

timespec to_timespec(std::int64_t ns) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(ns / kNsPerSec);
  ts.tv_nsec = static_cast<long>(ns % kNsPerSec);
  return ts;
}

bool same_file(const std::string& a, const std::string& b) {
  if (a == b) return true;
  std::error_code ec;
  const bool eq = std::filesystem::equivalent(a, b, ec);
  return !ec && eq;
}

bool is_regular_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

enum class GlitchMode { kEmpty, kGarbage, kTorn };

struct Glitch {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  GlitchMode mode = GlitchMode::kEmpty;
  bool shown = false;
};

struct Segment {
  std::int64_t start_ns = 0;
  double watts = 0.0;
};

struct Channel {
  std::string path;
  double watts = 0.0;
  std::optional<std::uint64_t> max_range;
  std::vector<Segment> schedule;  // empty: constant `watts`
  std::vector<Glitch> glitches;

  int fd = -1;
  std::uint64_t initial = 0;    // as read, reduced modulo max_range+1 when given
  std::uint64_t total_uj = 0;   // energy integral so far (never wraps, never decreases)
  std::uint64_t last_true = 0;  // last true value computed
  std::size_t file_len = 0;     // current length of the file content
};

struct Options {
  std::vector<Channel> channels;
  double tick_ms = 1.0;
  double duration_s = 10.0;
  std::string ready_file;
  std::string log_file;
};

// Splits "PATH:WATTS[:MAX]" where PATH may itself contain ':' (e.g. intel-rapl:0/energy_uj).
Channel parse_channel(const std::string& spec) {
  const auto c1 = spec.rfind(':');
  if (c1 == std::string::npos || c1 == 0)
    usage_error("--channel needs PATH:WATTS[:MAX_RANGE_UJ]: '" + spec + "'");
  const std::string last = spec.substr(c1 + 1);

  // Reading A: PATH:WATTS:MAX
  std::optional<Channel> with_max;
  const auto c2 = spec.rfind(':', c1 - 1);
  if (c2 != std::string::npos && c2 > 0) {
    const auto watts = parse_nonneg(std::string_view(spec).substr(c2 + 1, c1 - c2 - 1));
    const auto max = parse_u64(last);
    if (watts && max) {
      Channel ch;
      ch.path = spec.substr(0, c2);
      ch.watts = *watts;
      ch.max_range = *max;
      with_max = ch;
    }
  }
  // Reading B: PATH:WATTS
  std::optional<Channel> plain;
  if (const auto watts = parse_nonneg(last)) {
    Channel ch;
    ch.path = spec.substr(0, c1);
    ch.watts = *watts;
    plain = ch;
  }

  Channel chosen;
  if (with_max && plain) {
    // Both parse (PATH ends in ":<number>"): prefer the one naming an existing file.
    chosen =
        (!is_regular_file(with_max->path) && is_regular_file(plain->path)) ? *plain : *with_max;
  } else if (with_max) {
    chosen = *with_max;
  } else if (plain) {
    chosen = *plain;
  } else {
    usage_error("--channel needs PATH:WATTS[:MAX_RANGE_UJ] with WATTS >= 0: '" + spec + "'");
  }
  if (chosen.max_range) {
    if (*chosen.max_range == 0 || *chosen.max_range == std::numeric_limits<std::uint64_t>::max()) {
      usage_error("MAX_RANGE_UJ must be between 1 and 2^64-2: '" + spec + "'");
    }
  }
  return chosen;
}

Channel* find_channel(Options& opts, const std::string& path) {
  for (auto& ch : opts.channels) {
    if (same_file(ch.path, path)) return &ch;
  }
  return nullptr;
}

void apply_schedule(Options& opts, const std::string& spec) {
  const auto colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0)
    usage_error("--schedule needs PATH:T0=W0,...: '" + spec + "'");
  const std::string path = spec.substr(0, colon);
  Channel* ch = find_channel(opts, path);
  if (!ch) usage_error("--schedule names a path that is not a --channel: '" + path + "'");
  if (!ch->schedule.empty()) usage_error("more than one --schedule for '" + path + "'");
  std::string_view rest = std::string_view(spec).substr(colon + 1);
  std::vector<Segment> segments;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos)
      usage_error("--schedule item needs T=W: '" + std::string(item) + "'");
    const auto t = parse_nonneg(item.substr(0, eq));
    const auto watts = parse_nonneg(item.substr(eq + 1));
    if (!t || !watts)
      usage_error("--schedule item needs T=W with numbers >= 0: '" + std::string(item) + "'");
    const std::int64_t t_ns = seconds_to_ns(*t);
    if (segments.empty() && t_ns != 0) usage_error("--schedule must start at T0=0: '" + spec + "'");
    if (!segments.empty() && t_ns <= segments.back().start_ns) {
      usage_error("--schedule times must increase: '" + spec + "'");
    }
    segments.push_back({t_ns, *watts});
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  ch->schedule = std::move(segments);
}

void apply_glitch(Options& opts, const std::string& spec) {
  // PATH:AT_S:MODE:LEN_MS, PATH may contain ':'.
  const auto c3 = spec.rfind(':');
  const auto c2 =
      (c3 == std::string::npos || c3 == 0) ? std::string::npos : spec.rfind(':', c3 - 1);
  const auto c1 =
      (c2 == std::string::npos || c2 == 0) ? std::string::npos : spec.rfind(':', c2 - 1);
  if (c1 == std::string::npos || c1 == 0)
    usage_error("--glitch needs PATH:AT_S:MODE:LEN_MS: '" + spec + "'");
  const std::string path = spec.substr(0, c1);
  const auto at_s = parse_nonneg(std::string_view(spec).substr(c1 + 1, c2 - c1 - 1));
  const std::string mode = spec.substr(c2 + 1, c3 - c2 - 1);
  const auto len_ms = parse_nonneg(std::string_view(spec).substr(c3 + 1));
  if (!at_s || !len_ms)
    usage_error("--glitch AT_S and LEN_MS must be numbers >= 0: '" + spec + "'");
  Glitch g;
  if (mode == "empty") {
    g.mode = GlitchMode::kEmpty;
  } else if (mode == "garbage") {
    g.mode = GlitchMode::kGarbage;
  } else if (mode == "torn") {
    g.mode = GlitchMode::kTorn;
  } else {
    usage_error("--glitch MODE must be empty, garbage or torn: '" + mode + "'");
  }
  Channel* ch = find_channel(opts, path);
  if (!ch) usage_error("--glitch names a path that is not a --channel: '" + path + "'");
  g.start_ns = seconds_to_ns(*at_s);
  g.end_ns = g.start_ns + seconds_to_ns(*len_ms / 1000.0);
  ch->glitches.push_back(g);
}

Options parse_args(int argc, char** argv) {
  Options opts;
  std::vector<std::string> schedules;
  std::vector<std::string> glitches;
  bool saw_tick = false, saw_duration = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      print_usage(stdout);
      std::exit(0);
    }
    std::string value;
    bool has_inline = false;
    if (arg.rfind("--", 0) == 0) {
      if (const auto eq = arg.find('='); eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        has_inline = true;
      }
    }
    const bool known = arg == "--channel" || arg == "--tick-ms" || arg == "--duration-s" ||
                       arg == "--schedule" || arg == "--glitch" || arg == "--ready-file" ||
                       arg == "--log";
    if (!known) usage_error("unknown argument '" + std::string(argv[i]) + "'");
    if (!has_inline) {
      if (i + 1 >= argc) usage_error(arg + " needs a value");
      value = argv[++i];
    }
    if (value.empty()) usage_error(arg + " needs a non-empty value");

    if (arg == "--channel") {
      Channel ch = parse_channel(value);
      for (const auto& other : opts.channels) {
        if (same_file(other.path, ch.path)) usage_error("channel given twice: '" + ch.path + "'");
      }
      opts.channels.push_back(std::move(ch));
    } else if (arg == "--tick-ms") {
      if (saw_tick) usage_error("--tick-ms given twice");
      saw_tick = true;
      const auto v = parse_nonneg(value);
      if (!v || *v < 0.01 || *v > 60000.0)
        usage_error("--tick-ms must be a number in [0.01, 60000]: '" + value + "'");
      opts.tick_ms = *v;
    } else if (arg == "--duration-s") {
      if (saw_duration) usage_error("--duration-s given twice");
      saw_duration = true;
      const auto v = parse_nonneg(value);
      if (!v || *v > 1e6) usage_error("--duration-s must be a number in [0, 1e6]: '" + value + "'");
      opts.duration_s = *v;
    } else if (arg == "--schedule") {
      schedules.push_back(value);
    } else if (arg == "--glitch") {
      glitches.push_back(value);
    } else if (arg == "--ready-file") {
      opts.ready_file = value;
    } else if (arg == "--log") {
      opts.log_file = value;
    }
  }
  if (opts.channels.empty()) usage_error("at least one --channel is required");
  // Schedules and glitches refer to channels, which may come later on the command line.
  for (const auto& s : schedules) apply_schedule(opts, s);
  for (const auto& g : glitches) apply_glitch(opts, g);
  return opts;
}

// Energy in uJ accumulated over [0, t_ns]: W * ns / 1000.
std::uint64_t integral_uj(const Channel& ch, std::int64_t t_ns) {
  long double uj = 0.0L;
  if (ch.schedule.empty()) {
    uj = static_cast<long double>(ch.watts) * static_cast<long double>(t_ns) / 1000.0L;
  } else {
    for (std::size_t i = 0; i < ch.schedule.size(); ++i) {
      const std::int64_t seg_start = ch.schedule[i].start_ns;
      if (t_ns <= seg_start) break;
      const std::int64_t seg_end =
          (i + 1 < ch.schedule.size()) ? std::min(t_ns, ch.schedule[i + 1].start_ns) : t_ns;
      uj += static_cast<long double>(ch.schedule[i].watts) *
            static_cast<long double>(seg_end - seg_start) / 1000.0L;
    }
  }
  if (uj <= 0.0L) return 0;
  if (uj >= 1.8e19L) return std::numeric_limits<std::uint64_t>::max();
  return static_cast<std::uint64_t>(std::floor(uj));
}

// (a + b) mod m without overflow, for a < m, b < m.
std::uint64_t add_mod(std::uint64_t a, std::uint64_t b, std::uint64_t m) {
  return (a >= m - b) ? a - (m - b) : a + b;
}

std::uint64_t true_value(const Channel& ch) {
  if (!ch.max_range) return ch.initial + ch.total_uj;  // wraps at 2^64, like any u64 counter
  const std::uint64_t m = *ch.max_range + 1;
  return add_mod(ch.initial, ch.total_uj % m, m);
}

bool write_content(Channel& ch, const std::string& content) {
  // In place: pwrite at 0, then ftruncate. When the new content is shorter, pad it with spaces to
  // the old length first so that a reader racing between pwrite and ftruncate sees the new number
  // followed by whitespace, not the new number followed by the tail of the old one.
  std::string buf = content;
  if (buf.size() < ch.file_len) buf.append(ch.file_len - buf.size(), ' ');
  std::size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = pwrite(ch.fd, buf.data() + done, buf.size() - done, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "live_rapl_writer: write %s: %s\n", ch.path.c_str(),
                   std::strerror(errno));
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  while (ftruncate(ch.fd, static_cast<off_t>(content.size())) != 0) {
    if (errno == EINTR) continue;
    std::fprintf(stderr, "live_rapl_writer: truncate %s: %s\n", ch.path.c_str(),
                 std::strerror(errno));
    return false;
  }
  ch.file_len = content.size();
  return true;
}

// Updates the channel to elapsed time t_ns and writes what the file should show now.
// `final_write` ignores glitches, so the file ends with the true value.
bool tick_channel(Channel& ch, std::int64_t t_ns, bool final_write) {
  ch.total_uj = std::max(ch.total_uj, integral_uj(ch, t_ns));
  ch.last_true = true_value(ch);
  const std::string digits = std::to_string(ch.last_true);

  const Glitch* active = nullptr;
  if (!final_write) {
    for (auto& g : ch.glitches) {
      // Active inside [start, end), and for at least one tick once started.
      if (t_ns >= g.start_ns && (t_ns < g.end_ns || !g.shown)) {
        g.shown = true;
        active = &g;
        break;
      }
    }
  }
  if (!active) return write_content(ch, digits + "\n");
  switch (active->mode) {
    case GlitchMode::kEmpty: return write_content(ch, std::string());
    case GlitchMode::kGarbage: return write_content(ch, "not-a-number\n");
    case GlitchMode::kTorn: {
      const std::size_t half = std::max<std::size_t>(1, digits.size() / 2);
      return write_content(ch, digits.substr(0, half) + "\n");
    }
  }
  return false;
}

bool open_channel(Channel& ch) {
  // Initial value: whatever the file holds; 0 when it is missing, unreadable, empty or not a
  // number.
  if (const int rfd = open(ch.path.c_str(), O_RDONLY | O_CLOEXEC); rfd >= 0) {
    char buf[64];
    ssize_t n;
    do {
      n = pread(rfd, buf, sizeof buf - 1, 0);
    } while (n < 0 && errno == EINTR);
    close(rfd);
    if (n > 0) {
      std::string_view text(buf, static_cast<std::size_t>(n));
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
      }
      if (const auto v = parse_u64(text)) {
        ch.initial = *v;
      } else if (!text.empty()) {
        std::fprintf(stderr, "live_rapl_writer: %s does not hold a number; starting from 0\n",
                     ch.path.c_str());
      }
    }
  }
  if (ch.max_range) ch.initial %= (*ch.max_range + 1);

  ch.fd = open(ch.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (ch.fd < 0) {
    std::fprintf(stderr, "live_rapl_writer: open %s for writing: %s\n", ch.path.c_str(),
                 std::strerror(errno));
    return false;
  }
  struct stat st {};
  if (fstat(ch.fd, &st) == 0) ch.file_len = static_cast<std::size_t>(st.st_size);
  return true;
}

bool write_log(const Options& opts) {
  std::FILE* f = std::fopen(opts.log_file.c_str(), "w");
  if (!f) {
    std::fprintf(stderr, "live_rapl_writer: open log %s: %s\n", opts.log_file.c_str(),
                 std::strerror(errno));
    return false;
  }
  for (const auto& ch : opts.channels) {
    std::fprintf(f, "%s %llu %llu %llu\n", ch.path.c_str(),
                 static_cast<unsigned long long>(ch.initial),
                 static_cast<unsigned long long>(ch.last_true),
                 static_cast<unsigned long long>(ch.total_uj));
  }
  const bool ok = std::fclose(f) == 0;
  if (!ok) std::fprintf(stderr, "live_rapl_writer: write log %s failed\n", opts.log_file.c_str());
  return ok;
}

// The file holds the writer's start on CLOCK_MONOTONIC (ns), so a test can place the schedule's
// power steps on the same clock as the measurement. Written aside and renamed into place: a test
// that waits for the file to exist must never read it empty.
bool create_ready_file(const std::string& path, std::int64_t start_ns) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "live_rapl_writer: create %s: %s\n", tmp.c_str(), std::strerror(errno));
    return false;
  }
  const std::string text = std::to_string(start_ns) + "\n";
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    std::fprintf(stderr, "live_rapl_writer: write %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options opts = parse_args(argc, argv);

  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  for (auto& ch : opts.channels) {
    if (!open_channel(ch)) return kExitFailure;
  }

  const std::int64_t tick_ns = std::max<std::int64_t>(1, seconds_to_ns(opts.tick_ms / 1000.0));
  const std::int64_t duration_ns = seconds_to_ns(opts.duration_s);  // 0: until signalled
  const std::int64_t start = monotonic_ns();
  int rc = 0;
  bool first = true;
  std::int64_t next_tick = 0;  // elapsed ns of the next deadline

  while (true) {
    std::int64_t elapsed = monotonic_ns() - start;
    const bool done = g_stop != 0 || (duration_ns > 0 && elapsed >= duration_ns);
    if (done && duration_ns > 0 && g_stop == 0) elapsed = duration_ns;  // end exactly on time
    bool ok = true;
    for (auto& ch : opts.channels) ok = tick_channel(ch, elapsed, done) && ok;
    if (!ok) {
      rc = kExitFailure;
      break;
    }
    if (first) {
      first = false;
      if (!opts.ready_file.empty() && !create_ready_file(opts.ready_file, start)) {
        rc = kExitFailure;
        break;
      }
    }
    if (done) break;

    // Next absolute deadline on the start + k*tick grid; skip missed ones rather than bursting.
    next_tick += tick_ns;
    if (next_tick <= elapsed) next_tick = (elapsed / tick_ns + 1) * tick_ns;
    std::int64_t wake = next_tick;
    if (duration_ns > 0) wake = std::min(wake, duration_ns);
    const timespec deadline = to_timespec(start + wake);
    while (g_stop == 0) {
      const int err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr);
      if (err != EINTR) break;
    }
  }

  for (auto& ch : opts.channels) {
    if (ch.fd >= 0) close(ch.fd);
  }
  if (!opts.log_file.empty() && !write_log(opts)) rc = kExitFailure;
  return rc;
}
