#include <fmt/format.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "child_process.hpp"
#include "core/clock.hpp"
#include "ledger/attribution.hpp"
#include "ledger/node_profile.hpp"
#include "ledger/run_ledger.hpp"
#include "ledger/runtime_estimate.hpp"
#include "marker_channel.hpp"
#include "report/run_report.hpp"
#include "sampler/sampler.hpp"
#include "sensors/cgroup_usage.hpp"
#include "sensors/node_inventory.hpp"
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

// Cores the command may run on: its affinity mask, which a batch system narrows to the
// allocation.
int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<int>(online) : 0;
}

// The baselines of `jouletrace calibrate`: the profile named, else the default one if any.
std::optional<NodeProfile> load_node_profile(const RunOptions& options, const std::string& host,
                                             std::string* source,
                                             std::vector<std::string>* warnings) {
  // A profile named on the command line must be there; the default places may hold none.
  std::filesystem::path path = options.profile_path;
  if (path.empty()) {
    if (auto locations = profile_locations(host)) {
      if (auto found = find_profile(*locations)) path = *found;
    }
  }
  if (path.empty()) return std::nullopt;
  auto profile = load_profile(path);
  if (!profile) {
    warnings->push_back(fmt::format(
        "node profile {} not used: {}; components are not split into idle and dynamic energy",
        path.string(), profile.error().message));
    return std::nullopt;
  }
  *source = path.string();
  return *std::move(profile);
}

// Right after the command ends, so that the CPU-time shares span the same interval as the
// energy they split.
AttributionInputs attribution_inputs(const RunOptions& options,
                                     const Result<CgroupSnapshot>& before) {
  AttributionInputs in;
  in.mode = attribution_mode_from_string(options.attribution).value_or(AttributionMode::kAuto);
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  in.gpus = parse_cuda_visible_devices(visible != nullptr ? std::optional<std::string_view>(visible)
                                                          : std::nullopt);
  if (!before) {
    in.cpu_unavailable_reason = before.error().message;
    return in;
  }
  auto after = snapshot_cgroup_path(options.probe, before->cgroup_path, ::getpid());
  if (!after) {
    in.cpu_unavailable_reason = after.error().message;
    return in;
  }
  auto usage = usage_between(*before, *after);
  if (!usage) {
    in.cpu_unavailable_reason = usage.error().message;
    return in;
  }
  in.cpu = *usage;
  return in;
}

// The devices the runtime-based estimate charges: every CPU socket, and the GPUs the job owns.
std::vector<AllocatedDevice> allocated_devices(const NodeInventory& inventory,
                                               const std::optional<Attribution>& attribution) {
  std::vector<AllocatedDevice> devices = all_devices(inventory);
  if (!attribution || attribution->mode != AttributionMode::kShared) return devices;
  std::vector<AllocatedDevice> owned;
  for (auto& device : devices) {
    bool keep = device.kind != DeviceKind::kGpu;
    for (const auto& gpu : attribution->shares.gpus) {
      const std::string label = "GPU " + std::to_string(gpu.index);
      const bool same = device.label == label || device.label.starts_with(label + " (");
      if (gpu.share > 0.0 && same) keep = true;
    }
    if (keep) owned.push_back(std::move(device));
  }
  return owned;
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
    fmt::print(stderr,
               "jouletrace: no marker channel (pipe failed); phases will not be recorded\n");
  }
  // The child inherits jouletrace's cgroup; its own /proc entry is gone once reaped.
  const Result<CgroupSnapshot> cgroup_before = snapshot_cgroup_usage(options.probe, ::getpid());
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
  const AttributionInputs attribution_in = attribution_inputs(options, cgroup_before);
  sampler.stop_with_last_round();
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
  report.slow_meters = sampler.slow_sensor_count();

  std::vector<std::string> profile_warnings;
  if (auto profile =
          load_node_profile(options, report.hostname, &report.profile_source, &profile_warnings)) {
    apply_baselines(report.window, *profile, &report.window.warnings);
    report.node = std::move(profile);
  }
  for (auto& w : profile_warnings) report.window.warnings.push_back(std::move(w));
  const NodeInventory inventory = read_node_inventory(options.probe, channels);
  if (!report.node) report.node = NodeProfile{};
  report.node->inventory = inventory;

  if (auto attribution = attribute_energy(report.window, attribution_in)) {
    report.attribution = *std::move(attribution);
  } else {
    report.attribution_error = attribution.error().message;
  }

  if (auto tdp_path = locate_tdp_file(options.tdp_file); !tdp_path) {
    report.runtime_estimate_error = tdp_path.error().message;
  } else if (auto table = TdpTable::load(*tdp_path); !table) {
    report.runtime_estimate_error = table.error().message;
  } else {
    // The estimate charges the job's devices; compare it with the energy of the same scope.
    std::optional<MeasuredEnergy> measured;
    const auto& window = report.window;
    if (report.attribution && report.attribution->mode == AttributionMode::kShared) {
      measured = MeasuredEnergy{report.attribution->attributed_total_j,
                                "the energy attributed to the job on this shared node"};
    } else if (window.total_cover.size() == 1 &&
               window.components.end() !=
                   std::find_if(window.components.begin(), window.components.end(),
                                [&](const ComponentResult& c) {
                                  return c.id == window.total_cover[0] && c.domain == Domain::kNode;
                                })) {
      measured = MeasuredEnergy{window.total_energy_j, "node meter " + window.total_cover[0]};
    } else if (!window.total_cover.empty()) {
      measured =
          MeasuredEnergy{window.total_energy_j,
                         fmt::format("the sum of the measured components ({}; no node meter)",
                                     window.total_method)};
    }
    report.runtime_estimate =
        estimate_from_runtime(allocated_devices(inventory, report.attribution), &*table,
                              report.window.duration_s, options.pue, measured);
  }
  report.idle_waste.push_back(find_idle_waste(
      "run", waste_inputs(report.window), report.window.total_energy_j, report.window.duration_s,
      options.idle_activity_pct, CpuActivity{exit.cpu_time_s, available_cores()}));
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
      IdleWaste waste = find_idle_waste(phase.name, waste_inputs(p.energy, sampler.channels()),
                                        p.energy.energy_j, ns_to_s(phase.end_ns - phase.start_ns),
                                        options.idle_activity_pct, std::nullopt);
      if (!waste.idle_gpus.empty()) report.idle_waste.push_back(std::move(waste));
      report.phases.push_back(std::move(p));
    }
  }

  // Whatever goes wrong while reporting, the command's exit code is what jouletrace returns.
  try {
    if (!options.output_json.empty()) {
      // A command line or a device name need not be UTF-8; replace what JSON cannot carry.
      write_or_rescue(
          options.output_json,
          to_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
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
