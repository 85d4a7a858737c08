// SPDX-License-Identifier: BSD-3-Clause
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "arguments.hpp"
#include "core/clock.hpp"
#include "ledger/node_profile.hpp"
#include "ledger/run_analysis.hpp"
#include "ledger/run_ledger.hpp"
#include "report/warning_text.hpp"
#include "run_context.hpp"
#include "sampler/sampler.hpp"
#include "sensors/bmc_backends.hpp"
#include "sensors/node_inventory.hpp"
#include "verbs.hpp"

namespace jt::cli {

namespace {

// A node is not idle when more than this share of its CPU time was busy during calibration.
constexpr double kBusyFractionLimit = 0.05;
// Nor when the 1-minute load average exceeds this many runnable tasks per online CPU.
constexpr double kLoadPerCpuLimit = 0.1;

// Waits `seconds`, saying how far it is: on a terminal one line rewritten every second,
// elsewhere (a job's log) a line every 10 s.
void wait_with_progress(double seconds, const char* what) {
  using namespace std::chrono;
  const bool terminal = ::isatty(STDERR_FILENO) != 0;
  const auto start = steady_clock::now();
  const auto end = start + duration_cast<steady_clock::duration>(duration<double>(seconds));
  double last_said = 0.0;
  for (auto now = start; now < end; now = steady_clock::now()) {
    std::this_thread::sleep_for(
        std::min<steady_clock::duration>(std::chrono::seconds(1), end - now));
    const double done = duration<double>(steady_clock::now() - start).count();
    if (terminal) {
      fmt::print(stderr, "\rjouletrace calibrate: {} {:.0f} of {:g} s", what,
                 std::min(done, seconds), seconds);
    } else if (done - last_said >= 10.0 && done < seconds) {
      fmt::print(stderr, "jouletrace calibrate: {} {:.0f} of {:g} s\n", what, done, seconds);
      last_said = done;
    }
  }
  if (terminal) fmt::print(stderr, "\n");
}

// Where the profile goes, checked before anything is measured: a calibration must not learn
// after a minute that it cannot store what it measured.
Result<std::filesystem::path> profile_target(const CalibrateOptions& options,
                                             const std::string& hostname) {
  std::filesystem::path target = options.profile_path;
  if (target.empty()) {
    auto locations = profile_locations(hostname);
    if (!locations) return std::unexpected(locations.error());
    target = locations->write;
  }
  std::error_code ec;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  if (auto ok = check_writable(target.string(), "--profile"); !ok) {
    return std::unexpected(ok.error());
  }
  return target;
}

}  // namespace

int calibrate_verb(const CalibrateOptions& options) {
  auto probed = probe_node(options.probe, "calibrate");
  if (!probed) return kExitOwnFailure;
  ProbeOutcome probe = std::move(*probed);
  std::vector<ChannelInfo> channels;
  for (const auto& sensor : probe.sensors) {
    for (const auto& info : sensor->channels()) channels.push_back(info);
  }
  if (channels.empty()) {
    fmt::print(stderr,
               "jouletrace calibrate: no energy or power sensor found; nothing to "
               "calibrate (`jouletrace sensors` says why)\n");
    return kExitOwnFailure;
  }
  NodeProfile profile;
  profile.inventory = read_node_inventory(options.probe, channels);
  profile.created_at = to_iso8601(std::chrono::system_clock::now());
  const std::string hostname = profile.inventory.hostname.value.value_or("");
  const auto target = profile_target(options, hostname);
  if (!target) {
    fmt::print(stderr, "jouletrace calibrate: {}\n", target.error().message);
    if (!target.error().hint.empty()) fmt::print(stderr, "  fix: {}\n", target.error().hint);
    return kExitOwnFailure;
  }

  std::vector<std::string> warnings;
  if (options.settle_s > 0.0) {
    fmt::print(stderr, "jouletrace calibrate: settling for {:g} s; keep the node idle\n",
               options.settle_s);
    wait_with_progress(options.settle_s, "settling:");
  }
  const auto load = read_load_average(options.probe.proc_root);
  const auto cpu_before = read_cpu_times(options.probe.proc_root);

  SamplerOptions sampler_options;
  sampler_options.interval_s = options.interval_s;
  Sampler sampler(std::move(probe.sensors), sampler_options);
  fmt::print(stderr, "jouletrace calibrate: measuring idle power for {:g} s\n", options.duration_s);
  sampler.sample_once();
  const std::int64_t start_ns = monotonic_ns();
  sampler.start();
  wait_with_progress(options.duration_s, "measuring idle power:");
  const std::int64_t end_ns = monotonic_ns();
  sampler.stop();
  sampler.sample_once();
  sampler.finish();
  const auto cpu_after = read_cpu_times(options.probe.proc_root);
  CalibrationSettings settings;
  settings.settle_s = options.settle_s;
  settings.measured_at = to_iso8601(std::chrono::system_clock::now());
  IdleCalibration calibration = analyse_idle_run(sampler.snapshot(), start_ns, end_ns, settings);

  // Idle power is only worth storing from an idle node (docs/ACCURACY.md A5).
  const int threads = profile.inventory.threads.value.value_or(1);
  if (!load) {
    warnings.push_back("could not check the load average: " + load.error().message);
  } else if (*load > kLoadPerCpuLimit * threads) {
    warnings.push_back(fmt::format(
        "the node was not idle: 1-minute load average {:.2f} on {} CPUs; the baselines include "
        "that work",
        *load, threads));
  }
  if (!cpu_before || !cpu_after) {
    warnings.push_back("could not check CPU activity: " +
                       (!cpu_before ? cpu_before.error() : cpu_after.error()).message);
  } else if (const auto busy = busy_fraction(*cpu_before, *cpu_after);
             busy && *busy > kBusyFractionLimit) {
    warnings.push_back(fmt::format(
        "the node was not idle: the CPUs were {:.0f} % busy during calibration", *busy * 100.0));
  }

  profile.baselines = std::move(calibration.baselines);
  for (const auto& w : calibration.warnings) warnings.push_back(render(w));
  if (profile.baselines.empty()) {
    for (const auto& w : warnings) fmt::print(stderr, "jouletrace calibrate: warning: {}\n", w);
    fmt::print(stderr,
               "jouletrace calibrate: no channel gave a usable idle power; nothing "
               "stored\n");
    return kExitOwnFailure;
  }
  profile.calibrated_at = settings.measured_at;
  profile.calibrated_on = hostname;
  profile.calibration_warnings = warnings;

  for (const auto& w : warnings) fmt::print(stderr, "jouletrace calibrate: warning: {}\n", w);
  std::size_t width = 7;
  for (const auto& b : profile.baselines) width = std::max(width, b.channel_id.size());
  fmt::print("{:<{}}  {:>9}  {:>8}  {:>8}  {}\n", "channel", width, "idle W", "± W", "drift W",
             "device");
  for (const auto& b : profile.baselines) {
    fmt::print("{:<{}}  {:>9.3f}  {:>8.3f}  {:>8.3f}  {}\n", b.channel_id, width, b.idle_power_w,
               b.uncertainty_w, b.drift_w, b.device);
  }
  if (auto saved = save_profile(*target, profile); !saved) {
    fmt::print(stderr, "jouletrace calibrate: could not store the profile: {}\n",
               saved.error().message);
    return kExitOwnFailure;
  }
  fmt::print(stderr, "jouletrace calibrate: profile written to {}\n", target->string());
  return 0;
}

}  // namespace jt::cli
