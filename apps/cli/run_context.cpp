#include "run_context.hpp"

#include <fmt/format.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/clock.hpp"
#include "ledger/anchored_energy.hpp"
#include "ledger/idle_waste.hpp"
#include "ledger/window_energy.hpp"
#include "sensors/node_inventory.hpp"
#include "sensors/redfish/redfish_config.hpp"

namespace jt::cli {

namespace {

// A typical server CPU's thermal design power over its core count (e.g. 270 W / 40 cores for
// a Xeon Platinum 8380, 280 W / 64 for an EPYC 7763): order-of-magnitude only, hence "model".
constexpr double kDefaultWattsPerBusyCore = 7.0;

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

}  // namespace

// A report or series that could not be written after hours of measuring is lost work: find
// out before the command starts, by creating (and removing) a file next to the target.
Result<void> check_writable(const std::string& path, const char* option) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  std::error_code ec;
  if (fs::is_directory(target, ec)) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("{} {}: is a directory; name a file", option, path));
  }
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) {
    return make_error(ErrorKind::kNotFound, fmt::format("{} {}: the directory {} does not exist",
                                                        option, path, dir.string()));
  }
  std::string probe = (dir / ".jouletrace-write-test-XXXXXX").string();
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) {
    return make_error(ErrorKind::kPermissionDenied,
                      fmt::format("{} {}: cannot write in {}: {}", option, path, dir.string(),
                                  std::strerror(errno)));
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return {};
}

namespace {

// The baselines of `jouletrace calibrate`: a profile named on the command line must load; the
// default one may be missing, and when it cannot be used the run goes on with a warning.
Result<void> load_node_profile(const RunOptions& options, RunContext& context) {
  if (!options.profile_path.empty()) {
    auto profile = load_profile(options.profile_path);
    if (!profile) {
      return make_error(
          ErrorKind::kInvalidData,
          fmt::format("--profile {}: {}", options.profile_path, profile.error().message),
          "`jouletrace calibrate --profile FILE` writes a valid one");
    }
    context.profile = *std::move(profile);
    context.profile_source = options.profile_path;
    return {};
  }
  auto locations = profile_locations(context.hostname);
  if (!locations) return {};
  const auto found = find_profile(*locations);
  if (!found) return {};
  auto profile = load_profile(*found);
  if (!profile) {
    context.profile_warnings.push_back(fmt::format(
        "node profile {} not used: {}; components are not split into idle and dynamic energy",
        found->string(), profile.error().message));
    return {};
  }
  context.profile = *std::move(profile);
  context.profile_source = found->string();
  return {};
}

Result<void> load_rated_powers(const RunOptions& options, RunContext& context) {
  auto path = locate_tdp_file(options.tdp_file);
  if (!path) {
    if (!options.tdp_file.empty()) return std::unexpected(path.error());
    context.tdp_error = path.error().message;
    return {};
  }
  auto table = TdpTable::load(*path);
  if (!table) {
    if (!options.tdp_file.empty()) {
      return make_error(ErrorKind::kInvalidData,
                        fmt::format("--tdp-file {}: {}", options.tdp_file, table.error().message));
    }
    context.tdp_error = table.error().message;
    return {};
  }
  context.tdp = *std::move(table);
  return {};
}

}  // namespace

Result<void> check_run_options(const RunOptions& options) {
  if (!options.output_json.empty() && options.output_json != "-") {
    if (auto ok = check_writable(options.output_json, "--output"); !ok) return ok;
  }
  if (!options.output_csv.empty()) {
    if (options.output_csv == "-") {
      return make_error(ErrorKind::kInvalidData,
                        "--csv needs a file (the summary and the "
                        "JSON report can go to the terminal)");
    }
    if (auto ok = check_writable(options.output_csv, "--csv"); !ok) return ok;
  }
  if (!options.probe.redfish_config.empty()) {
    if (auto config = redfish::load_config(options.probe.redfish_config); !config) {
      return make_error(ErrorKind::kInvalidData,
                        fmt::format("--redfish-config {}: {}",
                                    options.probe.redfish_config.string(), config.error().message),
                        config.error().hint);
    }
  }
  return {};
}

Result<RunContext> prepare_run(const RunOptions& options, const std::vector<ChannelInfo>& channels,
                               std::vector<ProbeReport> probe_reports) {
  RunContext context;
  context.options = options;
  context.hostname = host_name();
  context.probe_reports = std::move(probe_reports);
  context.need_cpu_model = !has_cpu_channel(channels);
  if (auto ok = load_node_profile(options, context); !ok) return std::unexpected(ok.error());
  if (auto ok = load_rated_powers(options, context); !ok) return std::unexpected(ok.error());
  context.inventory = read_node_inventory(options.probe, channels);
  return context;
}

namespace {

// Cores the command may run on: its affinity mask, which a batch system narrows to the
// allocation.
int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<int>(online) : 0;
}

std::optional<CpuModel> cpu_model(const RunContext& context, double cpu_time_s) {
  if (!context.need_cpu_model) return std::nullopt;
  const double given = context.options.model_watts_per_core;
  CpuModel model;
  model.cpu_time_s = cpu_time_s;
  model.watts_per_busy_core = given > 0.0 ? given : kDefaultWattsPerBusyCore;
  model.assumption = fmt::format(
      "no CPU energy sensor was readable: {:g} W per busy core ({}) times the command's CPU "
      "time; idle and uncore power are not included",
      model.watts_per_busy_core,
      given > 0.0 ? "--model-watts-per-core" : "default, set with --model-watts-per-core");
  return model;
}

// Shares of the node for a shared run; taken when the analysis runs, so that the CPU-time
// shares span the same interval as the energy they split.
AttributionInputs attribution_inputs(const RunContext& context, const RunProgress& progress) {
  AttributionInputs in;
  in.mode =
      attribution_mode_from_string(context.options.attribution).value_or(AttributionMode::kAuto);
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  in.gpus = parse_cuda_visible_devices(visible != nullptr ? std::optional<std::string_view>(visible)
                                                          : std::nullopt);
  if (!progress.cgroup_before) {
    in.cpu_unavailable_reason = "no cgroup snapshot at the start";
    return in;
  }
  const Result<CgroupSnapshot>& before = *progress.cgroup_before;
  if (!before) {
    in.cpu_unavailable_reason = before.error().message;
    return in;
  }
  auto after = snapshot_cgroup_path(context.options.probe, before->cgroup_path, ::getpid());
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

// The estimate charges the job's devices; it is compared with the energy of the same scope.
std::optional<MeasuredEnergy> estimate_scope(const RunReport& report) {
  const WindowResult& window = report.window;
  if (report.attribution && report.attribution->mode == AttributionMode::kShared) {
    return MeasuredEnergy{report.attribution->attributed_total_j,
                          "the energy attributed to the job on this shared node"};
  }
  if (!window.total_energy_j) return std::nullopt;
  const bool one_meter =
      window.total_cover.size() == 1 &&
      std::any_of(window.components.begin(), window.components.end(), [&](const auto& c) {
        return c.id == window.total_cover[0] && c.domain == Domain::kNode;
      });
  if (one_meter)
    return MeasuredEnergy{*window.total_energy_j, "node meter " + window.total_cover[0]};
  return MeasuredEnergy{
      *window.total_energy_j,
      fmt::format("the sum of the measured components ({}; no node meter)", window.total_method)};
}

void add_runtime_estimate(const RunContext& context, RunReport& report) {
  if (!context.tdp) {
    report.runtime_estimate_error = context.tdp_error;
    return;
  }
  report.runtime_estimate =
      estimate_from_runtime(allocated_devices(context.inventory, report.attribution), &*context.tdp,
                            report.window.duration_s, context.options.pue, estimate_scope(report));
}

Measurement run_total(const WindowResult& window) {
  return Measurement{window.total_energy_j, window.total_uncertainty_j, window.total_method};
}

// Phases and the run over one cover, so that they can be compared: the run's total, or the
// parts inside its node meter (a meter polled every second would give every phase of a few
// seconds an uncertainty as large as its energy).
std::vector<std::size_t> phase_cover(const Timeline& timeline, const WindowResult& run) {
  return cover_of(timeline, run.coverage ? run.coverage->parts : run.total_cover);
}

void add_phases(const RunContext& context, const Timeline& timeline, const RunProgress& progress,
                RunReport& report) {
  report.malformed_markers = progress.malformed_markers;
  report.unmatched_markers = progress.unmatched_markers;
  if (progress.phases.empty()) return;
  const auto cover = phase_cover(timeline, report.window);
  for (std::size_t i : cover) report.phase_cover.push_back(timeline.channels[i].id);
  report.phase_cover_run = measure_window(timeline, cover, progress.start_ns, progress.end_ns);
  for (const auto& phase : progress.phases) {
    PhaseReport p{phase, measure_window(timeline, cover, phase.start_ns, phase.end_ns)};
    if (report.window.cpu_model) {
      p.energy.warnings.push_back(
          "no CPU sensor: the phase's energy leaves the CPU out (the run's CPU estimate is "
          "not split by phase)");
    }
    IdleWaste waste = find_idle_waste(
        phase.name, waste_inputs(p.energy, timeline.channels),
        Measurement{p.energy.energy_j, p.energy.uncertainty_j, p.energy.method},
        ns_to_s(phase.end_ns - phase.start_ns), context.options.idle_activity_pct, std::nullopt);
    if (!waste.idle_gpus.empty()) report.idle_waste.push_back(std::move(waste));
    report.phases.push_back(std::move(p));
  }
}

void describe_command(const RunContext& context, const RunProgress& progress, RunReport& report) {
  report.command = context.options.command;
  report.hostname = context.hostname;
  report.sensors = context.probe_reports;
  report.started_at = progress.started_at;
  report.start_ns = progress.start_ns;
  report.complete = progress.complete;
  report.interval_s = progress.interval_s;
  report.requested_interval_s = progress.requested_interval_s;
  report.interval_note = progress.interval_note;
  report.rounds = progress.rounds;
  report.late_rounds = progress.late_rounds;
  report.slow_meters = progress.slow_meters;
  if (const ChildExit* exit = progress.exit) {
    report.started = exit->started;
    report.exit_code = exit->exit_code;
    report.signal = exit->signal;
    report.launch_error = exit->launch_error;
    report.left_running = exit->left_running;
    report.waited_for_others_s = exit->waited_for_others_s;
    report.killed_after_interrupts = exit->killed_after_interrupts;
  }
}

// Everything analyse_run does, on a timeline whose GPU counters are joined already.
RunReport analyse_joined(const RunContext& context, const Timeline& timeline,
                         const RunProgress& progress) {
  RunReport report;
  describe_command(context, progress, report);
  report.window = summarise_run(timeline, progress.start_ns, progress.end_ns,
                                cpu_model(context, progress.cpu_time_s), progress.complete);
  if (context.profile) {
    apply_baselines(report.window, *context.profile, &report.window.warnings);
    report.node = context.profile;
    report.profile_source = context.profile_source;
  }
  for (const auto& w : context.profile_warnings) report.window.warnings.push_back(w);
  if (!report.node) report.node = NodeProfile{};
  report.node->inventory = context.inventory;

  if (auto attribution = attribute_energy(report.window, attribution_inputs(context, progress))) {
    report.attribution = *std::move(attribution);
  } else {
    report.attribution_error = attribution.error().message;
  }
  add_runtime_estimate(context, report);
  report.idle_waste.push_back(find_idle_waste(
      "run", waste_inputs(report.window), run_total(report.window), report.window.duration_s,
      context.options.idle_activity_pct, CpuActivity{progress.cpu_time_s, available_cores()}));
  add_phases(context, timeline, progress, report);
  return report;
}

}  // namespace

RunReport analyse_run(const RunContext& context, const Timeline& recorded,
                      const RunProgress& progress) {
  // GPU counters read once a second anchor the power read every round (docs/ACCURACY.md).
  // Joining copies the timeline while a checkpoint holds the sampler still: only when needed.
  if (has_anchors(recorded)) {
    return analyse_joined(context, with_anchored_energies(recorded), progress);
  }
  return analyse_joined(context, recorded, progress);
}

}  // namespace jt::cli
