// SPDX-License-Identifier: BSD-3-Clause
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "arguments.hpp"
#include "child_process.hpp"
#include "core/clock.hpp"
#include "csv_stream.hpp"
#include "marker_channel.hpp"
#include "measure.hpp"
#include "repeat.hpp"
#include "report/reporter.hpp"
#include "report/run_report.hpp"
#include "report/text_format.hpp"
#include "run_context.hpp"
#include "sampler/sampler.hpp"
#include "sensors/bmc_backends.hpp"
#include "sensors/process_tree.hpp"
#include "verbs.hpp"

namespace jt::cli {

std::string utc_now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return "unknown";
  return buf;
}

// A report that cannot go where it was asked to goes next to the temp files instead; when no file
// can be written at all (a full disk, a file size limit), to stderr, so the measurement is never
// lost. The markers around it let a script cut it out of a job's log.
void write_or_rescue(const std::string& path, const std::string& content, const char* what) {
  auto written = write_file_atomically(path, content);
  if (written) return;
  fmt::print(stderr, "jouletrace: could not write the {}: {}\n", what, written.error().message);
  const auto rescue =
      std::filesystem::temp_directory_path() /
      fmt::format("jouletrace-{}-{}", ::getpid(), std::filesystem::path(path).filename().string());
  if (auto rescued = write_file_atomically(rescue, content); rescued) {
    fmt::print(stderr, "jouletrace: the {} was saved to {} instead\n", what, rescue.string());
  } else {
    fmt::print(stderr,
               "jouletrace: nor in the temporary directory: {0}\n"
               "jouletrace: the {1} could not be saved anywhere; it follows on stderr\n"
               "jouletrace: ---- begin {1} ----\n{2}{3}jouletrace: ---- end {1} ----\n",
               rescued.error().message, what, content, content.ends_with('\n') ? "" : "\n");
  }
}

double own_cpu_s() {
  rusage self{};
  if (::getrusage(RUSAGE_SELF, &self) != 0) return 0.0;
  return static_cast<double>(self.ru_utime.tv_sec + self.ru_stime.tv_sec) +
         static_cast<double>(self.ru_utime.tv_usec + self.ru_stime.tv_usec) * 1e-6;
}

namespace {

// While the command runs: streams the CSV every second and checkpoints the JSON report every
// --checkpoint, so that a run killed with SIGKILL (a time limit, the OOM killer) keeps all but
// its last seconds. It works on the sampler's timeline in place (Sampler::inspect), never on a
// copy, so memory does not double on long runs. Its thread inherits the blocked signals of
// ChildProcess::prepare_parent.
class RunRecorder {
 public:
  RunRecorder(Sampler& sampler, MarkerChannel& markers, const RunContext& context,
              const RunProgress& base, RecorderSetup setup)
      : sampler_(sampler),
        markers_(markers),
        context_(context),
        base_(base),
        setup_(std::move(setup)) {}
  ~RunRecorder() { stop(); }

  void start() {
    if (setup_.csv == nullptr && !setup_.checkpoint) return;
    // The command's tree is what jouletrace has below it, now and later (orphans too).
    children_cpu_before_s_ = cpu_below_s("/proc", ::getpid());
    thread_ = std::thread([this] { loop(); });
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    using namespace std::chrono;
    const auto checkpoint_every = duration<double>(context_.options.checkpoint_s);
    auto next_checkpoint = steady_clock::now() + checkpoint_every;
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, seconds(1), [this] { return stopping_; })) {
      lock.unlock();
      const bool due = setup_.checkpoint && context_.options.checkpoint_s > 0.0 &&
                       steady_clock::now() >= next_checkpoint;
      tick(due);
      if (due) next_checkpoint += duration_cast<steady_clock::duration>(checkpoint_every);
      lock.lock();
    }
  }

  RunProgress progress_now(std::int64_t now_ns) {
    RunProgress progress = base_;
    progress.end_ns = now_ns;
    progress.complete = false;
    progress.cpu_time_s = std::max(0.0, cpu_below_s("/proc", ::getpid()) - children_cpu_before_s_);
    progress.phases = markers_.snapshot(now_ns);
    progress.malformed_markers = markers_.malformed();
    progress.unmatched_markers = markers_.unmatched();
    progress.rounds = sampler_.rounds();
    progress.late_rounds = sampler_.late_rounds();
    return progress;
  }

  void tick(bool checkpoint_due) {
    CsvStream* csv = csv_failed_ ? nullptr : setup_.csv;
    if (csv == nullptr && !checkpoint_due) return;
    const std::int64_t now_ns = monotonic_ns();
    std::optional<RunProgress> progress;
    if (checkpoint_due) progress = progress_now(now_ns);
    std::optional<RunReport> report;
    Result<void> streamed;
    sampler_.inspect([&](const Timeline& timeline) {
      if (csv != nullptr) streamed = csv->append(timeline, setup_.csv_origin_ns, now_ns, false);
      if (progress) report = analyse_run(context_, timeline, *progress);
    });
    if (!streamed) {
      fmt::print(stderr, "jouletrace: {}; the time series stops here\n", streamed.error().message);
      csv_failed_ = true;
    }
    if (report) {
      report->self_cpu_s = own_cpu_s() - setup_.self_cpu_baseline_s;
      setup_.checkpoint(*report);
    }
  }

  Sampler& sampler_;
  MarkerChannel& markers_;
  const RunContext& context_;
  RunProgress base_;
  RecorderSetup setup_;
  double children_cpu_before_s_ = 0.0;
  bool csv_failed_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

RunProgress progress_at_start(const Sampler& sampler, std::int64_t start_ns) {
  RunProgress progress;
  progress.start_ns = start_ns;
  progress.started_at = utc_now_iso8601();
  progress.interval_s = sampler.interval_s();
  progress.requested_interval_s = sampler.requested_interval_s();
  progress.interval_note = sampler.interval_note();
  progress.slow_meters = sampler.slow_sensor_count();
  return progress;
}

// The rest of the time series; when the file took no more, the whole series of this run goes
// where write_or_rescue can put it, and a torn file of the first run is removed.
void finish_csv(CsvStream& csv, const Timeline& timeline, std::int64_t origin_ns, int run) {
  auto ok = csv.append(timeline, origin_ns, monotonic_ns(), true);
  if (ok) return;
  fmt::print(stderr, "jouletrace: {}\n", ok.error().message);
  std::string text = kTimelineCsvHeader;
  for (std::size_t c = 0; c < timeline.series.size(); ++c) {
    text += format_timeline_rows(timeline.channels[c], timeline.series[c], 0,
                                 timeline.series[c].t_ns.size(), origin_ns);
  }
  std::error_code ignored;
  if (run == 0) std::filesystem::remove(csv.path(), ignored);
  // A later run's series must not replace the file the earlier runs went to.
  const std::string path = run == 0 ? csv.path() : fmt::format("{}.run{}", csv.path(), run + 1);
  write_or_rescue(path, text, "CSV time series");
}

SamplerOptions sampler_options(const RunOptions& options) {
  SamplerOptions sampler_options;
  sampler_options.interval_s = options.interval_s;
  // Below 10 ms the timeline keeps one point per 10 ms: energy still counts every read.
  sampler_options.timeline_min_spacing_s = options.interval_s < 0.01 ? 0.01 : 0.0;
  return sampler_options;
}

// After the command: the last readings, the phases, and how the run went.
void finish_progress(Sampler& sampler, MarkerChannel& markers, const ChildExit& exit,
                     RunProgress& progress) {
  progress.end_ns = exit.end_ns;
  sampler.stop_with_last_round();
  sampler.finish();
  progress.phases = markers.finish(progress.end_ns);
  progress.malformed_markers = markers.malformed();
  progress.unmatched_markers = markers.unmatched();
  progress.rounds = sampler.rounds();
  progress.late_rounds = sampler.late_rounds();
  progress.complete = true;
  progress.exit = &exit;
  progress.cpu_time_s = exit.cpu_time_s;
}

}  // namespace

RunReport measure_once(const RunContext& context, std::vector<std::unique_ptr<Sensor>> sensors,
                       RecorderSetup setup, int run) {
  const RunOptions& options = context.options;
  CsvStream* csv = setup.csv;
  const std::int64_t csv_origin_ns = setup.csv_origin_ns;
  const double self_cpu_baseline_s = setup.self_cpu_baseline_s;
  if (csv != nullptr) csv->begin_run();
  Sampler sampler(std::move(sensors), sampler_options(options));
  sampler.sample_once();
  const std::int64_t start_ns = monotonic_ns();
  RunProgress progress = progress_at_start(sampler, start_ns);
  MarkerChannel markers;
  const bool have_markers = markers.open();
  if (have_markers) {
    ::setenv("JOULETRACE_MARKERS", markers.environment_value().c_str(), 1);
  } else {
    fmt::print(stderr,
               "jouletrace: no marker channel (pipe failed); phases will not be recorded\n");
  }
  // The child inherits jouletrace's cgroup; its own /proc entry is gone once reaped.
  progress.cgroup_before = snapshot_cgroup_usage(options.probe, ::getpid());
  sampler.start();
  RunRecorder recorder(sampler, markers, context, progress, std::move(setup));
  std::string spawn_error;
  auto child =
      ChildProcess::spawn(options.command, &spawn_error, have_markers ? markers.child_fd() : -1);
  if (have_markers) markers.start_reading();
  ChildExit exit;
  if (child) {
    recorder.start();
    exit = child->wait(WaitOptions{options.wait_all, format_command(options.command)});
  } else {
    exit.started = false;
    exit.exit_code = kExitOwnFailure;
    exit.launch_error = spawn_error;
    exit.end_ns = monotonic_ns();
  }
  recorder.stop();
  finish_progress(sampler, markers, exit, progress);
  const Timeline timeline = sampler.snapshot();
  if (csv != nullptr) finish_csv(*csv, timeline, csv_origin_ns, run);
  RunReport report = analyse_run(context, timeline, progress);
  report.self_cpu_s = own_cpu_s() - self_cpu_baseline_s;
  return report;
}

namespace {

int own_failure(const Error& error) {
  fmt::print(stderr, "jouletrace run: {}\n", error.message);
  if (!error.hint.empty()) fmt::print(stderr, "  {}\n", error.hint);
  return kExitOwnFailure;
}

// Where the JSON goes: a file (atomically, rescued when it cannot be written) or stdout.
template <typename Analysed>
void write_json(const RunOptions& options, const Analysed& analysed, bool final) {
  if (options.output_json.empty()) return;
  const std::string text = json_reporter()->render(analysed);
  if (options.output_json == "-") {
    if (final) fmt::print("{}", text);
    return;
  }
  if (final) {
    write_or_rescue(options.output_json, text, "JSON report");
    return;
  }
  // A checkpoint that cannot be written is said once; the final report is still attempted.
  static bool warned = false;
  if (auto ok = write_file_atomically(options.output_json, text); !ok && !warned) {
    fmt::print(stderr, "jouletrace: could not checkpoint the JSON report: {}\n",
               ok.error().message);
    warned = true;
  }
}

void report_runs(const RunOptions& options, std::vector<RunReport> runs) {
  const SummaryOptions summary{options.verbose, 100};
  const RunReport& last = runs.back();
  // A command that could not start is said even with -q: one line.
  if (options.quiet && !last.started) {
    SummaryOptions headline = summary;
    headline.part = SummaryOptions::Part::kHeadline;
    fmt::print(stderr, "{}", text_reporter(headline)->render(last));
  }
  const auto text = text_reporter(summary);
  if (options.repeat == 1) {
    write_json(options, last, true);
    if (!options.quiet) fmt::print(stderr, "{}", text->render(last));
    return;
  }
  const RepeatSummary repeat = summarise_repeats(std::move(runs), options.repeat);
  write_json(options, repeat, true);
  if (!options.quiet) fmt::print(stderr, "{}", text->render(repeat));
}

}  // namespace

std::string format_command(const std::vector<std::string>& command) {
  std::string out;
  for (const auto& word : command) out += (out.empty() ? "" : " ") + word;
  return terminal_safe(out);
}

int run_verb(const RunOptions& options) {
  // Before any thread exists (the NVML library may start some while probing): every thread
  // then keeps the forwarded signals blocked, and only wait() takes them.
  ChildProcess::prepare_parent();
  if (auto ok = check_run_options(options); !ok) return own_failure(ok.error());
  ProbeOutcome probe = probe_all(options.probe, node_backends());
  std::vector<ChannelInfo> channels;
  for (const auto& sensor : probe.sensors) {
    for (const auto& info : sensor->channels()) channels.push_back(info);
  }
  auto context = prepare_run(options, channels, probe.reports);
  if (!context) return own_failure(context.error());
  std::optional<CsvStream> csv;
  if (!options.output_csv.empty()) {
    auto opened = CsvStream::open(options.output_csv);
    if (!opened) return own_failure(opened.error());
    csv = std::move(*opened);
  }

  std::vector<RunReport> runs;
  const std::int64_t first_start_ns = monotonic_ns();
  std::optional<int> interrupted;
  for (int i = 0; i < options.repeat; ++i) {
    if (i > 0) probe = probe_all(options.probe, node_backends());  // each run owns its sensors
    // Ctrl-C while probing, or between runs: the command is not started (again).
    interrupted = ChildProcess::take_pending_signal();
    if (interrupted) break;
    RecorderSetup setup;
    setup.csv = csv ? &*csv : nullptr;
    setup.csv_origin_ns = first_start_ns;
    // The first run's own CPU time includes jouletrace's start-up; a later run's only itself.
    setup.self_cpu_baseline_s = i == 0 ? 0.0 : own_cpu_s();
    if (!options.output_json.empty() && options.output_json != "-") {
      setup.checkpoint = [&options, &runs](const RunReport& partial) {
        if (options.repeat == 1) {
          write_json(options, partial, false);
          return;
        }
        std::vector<RunReport> so_far = runs;
        so_far.push_back(partial);
        write_json(options, summarise_repeats(std::move(so_far), options.repeat), false);
      };
    }
    runs.push_back(measure_once(*context, std::move(probe.sensors), std::move(setup), i));
    // A run that failed or was interrupted ends the series: the next would likely do the same.
    if (!runs.back().started || runs.back().exit_code != 0) break;
  }
  if (runs.empty()) {
    fmt::print(stderr, "jouletrace: signal {} before the command started; nothing was run\n",
               *interrupted);
    return 128 + *interrupted;
  }
  const int exit_code = interrupted ? 128 + *interrupted : runs.back().exit_code;
  // Whatever goes wrong while reporting, the command's exit code is what jouletrace returns.
  try {
    report_runs(options, std::move(runs));
  } catch (const std::exception& e) {
    fmt::print(stderr, "jouletrace: could not report the run: {}\n", e.what());
  }
  return exit_code;
}

}  // namespace jt::cli
