// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace study` (docs/STUDY.md): each cell of the declared matrix run `repetitions` times
// under measurement, with a cool-down and a check that the node is back to idle before every
// run; one result file per node and cell, rewritten after every run, and an index of them.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "arguments.hpp"
#include "child_process.hpp"
#include "core/clock.hpp"
#include "ledger/run_analysis.hpp"
#include "measure.hpp"
#include "repeat.hpp"
#include "report/reporter.hpp"
#include "report/study_report.hpp"
#include "report/text_format.hpp"
#include "sensors/bmc_backends.hpp"
#include "study/study_plan.hpp"
#include "study/study_schedule.hpp"
#include "study_progress.hpp"
#include "verbs.hpp"

namespace jt::cli {

namespace {

namespace fs = std::filesystem;

int study_failure(const std::string& message, const std::string& hint = {}) {
  fmt::print(stderr, "jouletrace study: {}\n", message);
  if (!hint.empty()) fmt::print(stderr, "  {}\n", hint);
  return kExitOwnFailure;
}

// `jouletrace-workload` beside this executable (the build tree, an installed bin/), else the
// one on PATH; $JOULETRACE_WORKLOAD_PROGRAM first.
std::string workload_program() {
  if (const char* named = std::getenv("JOULETRACE_WORKLOAD_PROGRAM"); named && *named) {
    return named;
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path beside = self.parent_path() / "jouletrace-workload";
    if (fs::exists(beside, ec)) return beside.string();
  }
  return "jouletrace-workload";
}

// The cell's variables, set for its runs and restored afterwards: the next cell must not
// inherit them.
class ScopedEnvironment {
 public:
  explicit ScopedEnvironment(const std::vector<study::EnvironmentSetting>& settings) {
    for (const auto& [name, value] : settings) {
      const char* before = std::getenv(name.c_str());
      saved_.push_back({name, before ? std::optional<std::string>(before) : std::nullopt});
      ::setenv(name.c_str(), value.c_str(), 1);
    }
  }
  ~ScopedEnvironment() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) {
        ::setenv(it->first.c_str(), it->second->c_str(), 1);
      } else {
        ::unsetenv(it->first.c_str());
      }
    }
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// Sleeps `seconds` in short steps; a signal taken meanwhile ends the wait and is returned.
std::optional<int> interruptible_wait(double seconds) {
  using namespace std::chrono;
  const auto end = steady_clock::now() +
                   duration_cast<steady_clock::duration>(duration<double>(std::max(0.0, seconds)));
  while (steady_clock::now() < end) {
    if (auto signal = ChildProcess::take_pending_signal()) return signal;
    std::this_thread::sleep_for(
        std::min<steady_clock::duration>(milliseconds(100), end - steady_clock::now()));
  }
  return ChildProcess::take_pending_signal();
}

struct IdleWindow {
  std::vector<study::ChannelPower> channels;
  std::optional<int> interrupted;
};

// Every channel's mean power over `window_s` with the node left alone, analysed as
// `calibrate` analyses its idle run.
IdleWindow measure_idle_window(const RunOptions& options, double window_s) {
  ProbeOutcome probe = probe_all(options.probe, node_backends());
  SamplerOptions sampler_options;
  sampler_options.interval_s = options.interval_s;
  Sampler sampler(std::move(probe.sensors), sampler_options);
  sampler.sample_once();
  const std::int64_t start_ns = monotonic_ns();
  sampler.start();
  IdleWindow window;
  window.interrupted = interruptible_wait(window_s);
  const std::int64_t end_ns = monotonic_ns();
  sampler.stop();
  sampler.sample_once();
  sampler.finish();
  const IdleCalibration idle = analyse_idle_run(sampler.snapshot(), start_ns, end_ns, {});
  for (const auto& b : idle.baselines) {
    window.channels.push_back({b.channel_id, b.idle_power_w, b.uncertainty_w});
  }
  return window;
}

struct Baseline {
  std::vector<study::ChannelPower> channels;
  std::string source;
};

// A calibrated profile's idle powers, else the node as the study finds it now.
std::optional<Baseline> idle_baseline(const StudyOptions& options, const RunContext& context,
                                      double window_s, std::optional<int>& interrupted) {
  Baseline baseline;
  if (context.profile && !context.profile->baselines.empty()) {
    for (const auto& b : context.profile->baselines) {
      baseline.channels.push_back({b.channel_id, b.idle_power_w, b.uncertainty_w});
    }
    baseline.source = fmt::format("calibrated idle power from {} ({})", context.profile_source,
                                  context.profile->calibrated_at);
    return baseline;
  }
  IdleWindow window = measure_idle_window(options.run, window_s);
  interrupted = window.interrupted;
  if (interrupted) return std::nullopt;
  baseline.channels = std::move(window.channels);
  baseline.source = fmt::format(
      "the node's power over {:g} s before the study's first run (no calibrated profile: "
      "`jouletrace calibrate`)",
      window_s);
  return baseline;
}

// Everything a study carries from one run to the next.
struct StudyState {
  StudyState(const StudyOptions& given, study::StudyPlan declared, bool on_terminal)
      : options(given), plan(std::move(declared)), progress(on_terminal) {}
  const StudyOptions& options;
  study::StudyPlan plan;
  std::string study_file;
  std::vector<study::StudyCell> cells;
  fs::path directory;  // OUTPUT/HOSTNAME
  study::StudyIndex index;
  Baseline baseline;
  StudyProgress progress;
  std::vector<study::CellProgress> schedule;
  std::optional<int> interrupted;
  int runs_started = 0;
  std::vector<std::string> incomplete;  // labels of cells with fewer good runs than planned
};

std::string position_text(const StudyState& state, std::size_t cell, int run) {
  return fmt::format("[{}/{}] {} run {}/{}", cell + 1, state.cells.size(),
                     terminal_safe(state.cells[cell].label), run + 1,
                     state.cells[cell].repetitions);
}

std::string eta_text(const StudyState& state, double current_elapsed_s) {
  const auto left =
      study::estimate_remaining_s(state.schedule, state.plan.cooldown_s, current_elapsed_s);
  return left ? "about " + duration_text(std::max(0.0, *left)) + " left" : "time left unknown";
}

// Waits until the node's power is back within the idle limit, or the time-out; says so when
// it is not.
study::IdleCheckRecord wait_for_idle(StudyState& state, std::size_t cell, int run) {
  const study::IdleCheckSettings& settings = state.plan.idle_check;
  study::IdleCheckRecord record;
  record.before_run = run + 1;
  record.performed = settings.enabled;
  // Without a baseline channel nothing can be compared (said once, at the start).
  if (!settings.enabled || state.baseline.channels.empty()) return record;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    state.progress.status(fmt::format("{}: waiting for the node to be idle ({:.0f} s)",
                                      position_text(state, cell, run), record.waited_s));
    IdleWindow window = measure_idle_window(state.options.run, settings.window_s);
    ++record.windows;
    record.waited_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (window.interrupted) {
      state.interrupted = window.interrupted;
      return record;
    }
    record.verdict = study::judge_idle(window.channels, state.baseline.channels, settings);
    if (!record.verdict.known || record.verdict.idle || record.waited_s >= settings.timeout_s) {
      return record;
    }
  }
}

NodeProfile node_of(const RunContext& context) {
  NodeProfile node = context.profile.value_or(NodeProfile{});
  node.inventory = context.inventory;
  node.created_at = utc_now_iso8601();
  return node;
}

std::string result_text(const std::vector<RunReport>& runs, const study::StudyCellRecord& record,
                        const NodeProfile& node) {
  const RepeatSummary summary = summarise_repeats(runs, record.cell.repetitions);
  return indented_json(study_result_json(summary, record, node));
}

void write_index(StudyState& state) {
  const std::string text = indented_json(to_json(state.index));
  write_or_rescue((state.directory / "study.json").string(), text, "study index");
}

// The warnings a finished run adds to its cell's record.
void check_run(const RunReport& run, int number, study::StudyCellRecord& record) {
  if (!run.started) {
    record.warnings.push_back(
        fmt::format("run {}: the command could not be started: {}", number, run.launch_error));
  } else if (run.exit_code != 0) {
    record.warnings.push_back(
        fmt::format("run {}: the command exited with {}; the cell's remaining runs were skipped",
                    number, run.exit_code));
  }
  // A failed run's missing phases are no news: its failure is the warning.
  if (record.cell.phases.empty() || !run.started || run.exit_code != 0) return;
  for (const std::string& phase : record.cell.phases) {
    const bool marked = std::ranges::any_of(
        run.phase_totals, [&](const PhaseTotal& total) { return total.name == phase; });
    if (!marked) {
      record.warnings.push_back(
          fmt::format("run {}: phase '{}' was not marked (docs/MARKERS.md)", number, phase));
    }
  }
}

std::string idle_warning(const study::IdleCheckRecord& check) {
  const study::IdleVerdict& v = check.verdict;
  if (!v.known) {
    return fmt::format("run {}: the idle check shares no sensor with its baseline; not checked",
                       check.before_run);
  }
  return fmt::format(
      "run {}: the node was not idle after {:.0f} s: {:.1f} W against a limit of {:.1f} W "
      "(baseline {:.1f} W); measured anyway",
      check.before_run, check.waited_s, v.power_w, v.limit_w, v.baseline_w);
}

// One run of a cell: cool-down, idle check, the measured run with progress and checkpoints.
std::optional<RunReport> run_once(StudyState& state, std::size_t cell, int run,
                                  const RunContext& context, const std::vector<RunReport>& done,
                                  study::StudyCellRecord& record, const NodeProfile& node) {
  if (state.runs_started > 0) {
    state.progress.status(fmt::format("{}: cooling down {:g} s", position_text(state, cell, run),
                                      state.plan.cooldown_s));
    state.interrupted = interruptible_wait(state.plan.cooldown_s);
    if (state.interrupted) return std::nullopt;
  }
  record.idle_checks.push_back(wait_for_idle(state, cell, run));
  if (state.interrupted) return std::nullopt;
  const study::IdleCheckRecord& check = record.idle_checks.back();
  if (check.performed && check.windows > 0 && !(check.verdict.known && check.verdict.idle)) {
    record.warnings.push_back(idle_warning(check));
    state.progress.say("jouletrace study: warning: " + record.warnings.back());
  }
  ProbeOutcome probe = probe_all(context.options.probe, node_backends());
  state.interrupted = ChildProcess::take_pending_signal();
  if (state.interrupted) return std::nullopt;
  RecorderSetup setup;
  setup.self_cpu_baseline_s = own_cpu_s();
  const fs::path file = state.directory / record.cell.file_name;
  auto last_written = std::chrono::steady_clock::now();
  setup.checkpoint = [&](const RunReport& partial) {
    const double elapsed = partial.window.duration_s;
    std::string phase;
    for (const auto& p : partial.phases) {
      if (p.phase.closed_at_end) phase = " phase " + terminal_safe(p.phase.name);
    }
    state.progress.status(fmt::format(
        "{}{}: {} {} so far, {}", position_text(state, cell, run), phase, duration_text(elapsed),
        energy_text(partial.window.total.energy_j), eta_text(state, elapsed)));
    const auto now = std::chrono::steady_clock::now();
    if (now - last_written < std::chrono::seconds(10)) return;
    last_written = now;
    std::vector<RunReport> so_far = done;
    so_far.push_back(partial);
    (void)write_file_atomically(file, result_text(so_far, record, node));
  };
  ++state.runs_started;
  return measure_once(context, std::move(probe.sensors), std::move(setup), run);
}

// All runs of one cell; its result file is rewritten after each.
void run_cell(StudyState& state, std::size_t cell, const std::vector<ProbeReport>& reports,
              const std::vector<ChannelInfo>& channels) {
  const study::StudyCell& the_cell = state.cells[cell];
  RunOptions options = state.options.run;
  options.command = the_cell.command;
  options.repeat = the_cell.repetitions;
  options.output_json = (state.directory / the_cell.file_name).string();
  // Progress every 2 s on a terminal; otherwise the file is checkpointed every 10 s.
  options.checkpoint_s = ::isatty(STDERR_FILENO) != 0 && !options.quiet ? 2.0 : 10.0;
  auto context = prepare_run(options, channels, reports);
  if (!context) {
    state.progress.say(
        fmt::format("jouletrace study: {}: {}", the_cell.label, context.error().message));
    return;
  }
  const NodeProfile node = node_of(*context);
  study::StudyCellRecord record{state.plan.name,
                                state.study_file,
                                the_cell,
                                state.plan.cooldown_s,
                                state.baseline.source,
                                {},
                                {}};
  ScopedEnvironment environment(the_cell.env);
  std::vector<RunReport> runs;
  for (int run = 0; run < the_cell.repetitions && !state.interrupted; ++run) {
    auto report = run_once(state, cell, run, *context, runs, record, node);
    if (!report) break;
    runs.push_back(std::move(*report));
    const RunReport& last = runs.back();
    check_run(last, run + 1, record);
    if (last.started && last.complete && last.exit_code == 0) {
      state.schedule[cell].finished_s.push_back(last.window.duration_s);
    }
    write_or_rescue(options.output_json, result_text(runs, record, node), "study result");
    // A command stopped by Ctrl-C (or a batch system's SIGTERM) stops the study too; one that
    // crashed does not.
    if (last.killed_after_interrupts ||
        (last.signal &&
         (*last.signal == SIGINT || *last.signal == SIGTERM || *last.signal == SIGHUP))) {
      state.interrupted = last.signal.value_or(SIGINT);
    }
    if (!last.started || last.exit_code != 0) {
      state.progress.say("jouletrace study: " + record.warnings.back());
      break;
    }
  }
  const RepeatSummary summary = summarise_repeats(runs, the_cell.repetitions);
  const auto good = std::ranges::count_if(
      runs, [](const RunReport& r) { return r.started && r.complete && r.exit_code == 0; });
  if (good < the_cell.repetitions && !state.interrupted) {
    state.incomplete.push_back(the_cell.label);
  }
  if (runs.empty()) return;
  state.index.results.push_back({the_cell.label, the_cell.entry, the_cell.configuration,
                                 the_cell.file_name, static_cast<int>(summary.total.runs)});
  write_index(state);
  state.progress.say(format_study_cell_line(the_cell.label, summary, options.output_json));
}

void apply_overrides(const StudyOptions& options, study::StudyPlan& plan,
                     std::vector<study::StudyCell>& cells) {
  if (options.cooldown_s) plan.cooldown_s = *options.cooldown_s;
  if (options.no_idle_check) plan.idle_check.enabled = false;
  if (!options.output.empty()) plan.output = options.output;
  if (options.repetitions) {
    for (auto& cell : cells) cell.repetitions = *options.repetitions;
  }
}

int list_cells(const std::vector<study::StudyCell>& cells, const fs::path& directory) {
  for (const auto& cell : cells) {
    fmt::print("{} x{}: {} -> {}\n", terminal_safe(cell.label), cell.repetitions,
               format_command(cell.command), (directory / cell.file_name).string());
  }
  return 0;
}

}  // namespace

int study_verb(const StudyOptions& options) {
  ChildProcess::prepare_parent();
  auto plan = study::read_study_plan(options.study_file);
  if (!plan) return study_failure(plan.error().message, plan.error().hint);
  std::vector<study::StudyCell> cells = study::expand_study(*plan, workload_program());
  apply_overrides(options, *plan, cells);
  auto probed = probe_node(options.run.probe, "study");
  if (!probed) return kExitOwnFailure;
  std::vector<ChannelInfo> channels;
  for (const auto& sensor : probed->sensors) {
    for (const auto& info : sensor->channels()) channels.push_back(info);
  }
  auto context = prepare_run(options.run, channels, probed->reports);
  if (!context) return study_failure(context.error().message, context.error().hint);
  StudyState state(options, std::move(*plan),
                   ::isatty(STDERR_FILENO) != 0 && !options.run.quiet && !options.dry_run);
  state.study_file = options.study_file;
  state.cells = std::move(cells);
  state.directory = fs::path(state.plan.output) / context->hostname;
  if (options.dry_run) return list_cells(state.cells, state.directory);
  std::error_code ec;
  fs::create_directories(state.directory, ec);
  if (auto ok = check_writable((state.directory / "study.json").string(), "--output"); !ok) {
    return study_failure(ok.error().message, ok.error().hint);
  }
  state.index = {
      state.plan.name, context->hostname, utc_now_iso8601(), state.study_file, false, {}};
  for (const auto& cell : state.cells) state.schedule.push_back({cell.repetitions, {}});
  if (state.plan.idle_check.enabled) {
    state.progress.status("jouletrace study: measuring the idle baseline");
    auto baseline =
        idle_baseline(options, *context, state.plan.idle_check.window_s, state.interrupted);
    if (baseline) state.baseline = std::move(*baseline);
    if (!state.interrupted && state.baseline.channels.empty()) {
      state.baseline.source = "none: no energy or power sensor to compare with";
      state.progress.say(
          "jouletrace study: warning: no energy or power sensor gives an idle baseline; the node "
          "is not checked for idleness before runs (`jouletrace sensors` says why)");
    }
  }
  for (std::size_t c = 0; c < state.cells.size() && !state.interrupted; ++c) {
    run_cell(state, c, probed->reports, channels);
  }
  state.index.complete = !state.interrupted;
  write_index(state);
  const std::string index = (state.directory / "study.json").string();
  state.progress.say(
      fmt::format("jouletrace study: {} written; see `jouletrace compare {}` and "
                  "`jouletrace report {} --html study.html`",
                  index, index, index));
  if (state.interrupted) {
    state.progress.say(
        fmt::format("jouletrace study: interrupted by signal {}; the runs so far "
                    "are written",
                    *state.interrupted));
    return 128 + *state.interrupted;
  }
  if (!state.incomplete.empty()) {
    state.progress.say(
        fmt::format("jouletrace study: not every run completed in {} (their "
                    "files say why)",
                    fmt::join(state.incomplete, ", ")));
    return 1;
  }
  return 0;
}

}  // namespace jt::cli
