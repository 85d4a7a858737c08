#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "child_process.hpp"
#include "marker_channel.hpp"
#include "core/clock.hpp"
#include "ledger/run_ledger.hpp"
#include "report/run_report.hpp"
#include "sampler/sampler.hpp"
#include "sensors/registry.hpp"
#include "verbs.hpp"

namespace jt::cli {

namespace {

// A typical server CPU's thermal design power over its core count (e.g. 270 W / 40 cores for
// a Xeon Platinum 8380, 280 W / 64 for an EPYC 7763): order-of-magnitude only, hence "model".
constexpr double kDefaultWattsPerBusyCore = 7.0;

std::string utc_now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return "unknown";
  return buf;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

// A report that cannot go where it was asked to goes next to the temp files instead of nowhere.
void write_or_rescue(const std::string& path, const std::string& content, const char* what) {
  auto written = write_file_atomically(path, content);
  if (written) return;
  fmt::print(stderr, "jouletrace: could not write the {}: {}\n", what, written.error().message);
  const auto rescue = std::filesystem::temp_directory_path() /
                      fmt::format("jouletrace-{}-{}", ::getpid(),
                                  std::filesystem::path(path).filename().string());
  if (write_file_atomically(rescue, content)) {
    fmt::print(stderr, "jouletrace: the {} was saved to {} instead\n", what, rescue.string());
  } else {
    fmt::print(stderr, "jouletrace: the {} could not be saved anywhere\n", what);
  }
}

}  // namespace

int run_verb(const RunOptions& options) {
  ProbeOutcome probe = probe_all(options.probe);

  std::vector<ChannelInfo> channels;
  for (const auto& sensor : probe.sensors) {
    for (const auto& info : sensor->channels()) channels.push_back(info);
  }
  const bool need_cpu_model = !has_cpu_channel(channels);

  SamplerOptions sampler_options;
  sampler_options.interval_s = options.interval_s;
  // Below 10 ms the timeline keeps one point per 10 ms: energy still counts every read.
  sampler_options.timeline_min_spacing_s = options.interval_s < 0.01 ? 0.01 : 0.0;
  Sampler sampler(std::move(probe.sensors), sampler_options);

  RunReport report;
  report.command = options.command;
  report.hostname = host_name();
  report.sensors = probe.reports;
  report.started_at = utc_now_iso8601();

  sampler.sample_once();
  const std::int64_t start_ns = monotonic_ns();
  MarkerChannel markers;
  const bool have_markers = markers.open();
  if (have_markers) {
    ::setenv("JOULETRACE_MARKERS", markers.environment_value().c_str(), 1);
  } else {
    fmt::print(stderr, "jouletrace: no marker channel (pipe failed); phases will not be recorded\n");
  }
  ChildProcess::block_forwarded_signals();
  sampler.start();
  std::string spawn_error;
  auto child =
      ChildProcess::spawn(options.command, &spawn_error, have_markers ? markers.child_fd() : -1);
  if (have_markers) markers.start_reading();
  ChildExit exit;
  if (child) {
    exit = child->wait();
  } else {
    exit.exit_code = 127;
    exit.launch_error = spawn_error;
  }
  const std::int64_t end_ns = monotonic_ns();
  sampler.stop();
  sampler.sample_once();
  sampler.finish();
  const std::vector<Phase> phases = markers.finish(end_ns);

  std::optional<CpuModel> cpu_model;
  if (need_cpu_model) {
    CpuModel model;
    model.cpu_time_s = exit.cpu_time_s;
    model.watts_per_busy_core = options.model_watts_per_core > 0.0 ? options.model_watts_per_core
                                                                   : kDefaultWattsPerBusyCore;
    model.assumption = fmt::format(
        "no CPU energy sensor was readable: {:g} W per busy core ({}) times the command's CPU "
        "time; idle and uncore power are not included",
        model.watts_per_busy_core,
        options.model_watts_per_core > 0.0 ? "--model-watts-per-core"
                                           : "default, set with --model-watts-per-core");
    cpu_model = model;
  }

  report.exit_code = exit.exit_code;
  report.signal = exit.signal;
  report.launch_error = exit.launch_error;
  report.interval_s = sampler.interval_s();
  report.requested_interval_s = sampler.requested_interval_s();
  report.interval_note = sampler.interval_note();
  report.rounds = sampler.rounds();
  report.late_rounds = sampler.late_rounds();
  if (rusage self{}; ::getrusage(RUSAGE_SELF, &self) == 0) {
    report.self_cpu_s = static_cast<double>(self.ru_utime.tv_sec + self.ru_stime.tv_sec) +
                        static_cast<double>(self.ru_utime.tv_usec + self.ru_stime.tv_usec) * 1e-6;
  }
  report.window = summarise_run(sampler, start_ns, end_ns, cpu_model);
  report.start_ns = start_ns;
  report.malformed_markers = markers.malformed();
  report.unmatched_markers = markers.unmatched();
  if (!phases.empty()) {
    std::vector<ChannelStats> stats;
    for (std::size_t c = 0; c < sampler.channels().size(); ++c) stats.push_back(sampler.stats(c));
    const auto cover = cover_channels(sampler.channels(), stats);
    for (const auto& phase : phases) {
      PhaseReport p{phase, measure_window(sampler.channels(), sampler.series(), cover,
                                          sampler.interval_s(), phase.start_ns, phase.end_ns)};
      if (need_cpu_model) {
        p.energy.warnings.push_back(
            "no CPU sensor: the phase's energy leaves the CPU out (the run's CPU estimate is "
            "not split by phase)");
      }
      report.phases.push_back(std::move(p));
    }
  }

  // Whatever goes wrong while reporting, the command's exit code is what jouletrace returns.
  try {
    if (!options.output_json.empty()) {
      // A command line or a device name need not be UTF-8; replace what JSON cannot carry.
      write_or_rescue(options.output_json,
                      to_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
                          "\n",
                      "JSON report");
    }
    if (!options.output_csv.empty()) {
      write_or_rescue(options.output_csv,
                      format_timeline_csv(sampler.channels(), sampler.series(), start_ns),
                      "CSV time series");
    }
    if (!options.quiet) fmt::print(stderr, "{}", format_summary(report));
  } catch (const std::exception& e) {
    fmt::print(stderr, "jouletrace: could not report the run: {}\n", e.what());
  }
  return exit.exit_code;
}

std::optional<double> parse_interval_s(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::size_t used = 0;
  double value = 0.0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  if (unit.empty() || unit == "ms") return value * 1e-3;
  if (unit == "s") return value;
  if (unit == "us") return value * 1e-6;
  if (unit == "m" || unit == "min") return value * 60.0;
  return std::nullopt;
}

}  // namespace jt::cli
