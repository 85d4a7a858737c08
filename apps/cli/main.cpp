#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "verbs.hpp"

namespace {

void add_probe_options(CLI::App* app, jt::ProbeContext& probe, std::string& sysfs,
                       std::string& dev) {
  app->add_option("--sysfs-root", sysfs, "Where sysfs is mounted (fixture trees in tests)")
      ->default_val("/sys");
  app->add_option("--dev-root", dev, "Where /dev is (for cpu/N/msr)")->default_val("/dev");
  app->add_option("--nvml-library", probe.nvml_library,
                  "Path of libnvidia-ml.so.1 (default: $JOULETRACE_NVML_LIBRARY, then the "
                  "system's)");
  app->add_option("--proc-root", probe.proc_root, "Where /proc is (CPU model, memory size)")
      ->default_val("/proc");
  app->add_option("--redfish-config", probe.redfish_config,
                  "Redfish BMC settings file (default: $JOULETRACE_REDFISH_CONFIG)");
  app->add_flag("!--no-bmc", probe.probe_bmc, "Do not probe whole-node meters behind a BMC");
}

}  // namespace

int run_main(int argc, char** argv);

int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "jouletrace: internal error: {}\n", e.what());
    return 70;  // EX_SOFTWARE
  }
}

int run_main(int argc, char** argv) {
  CLI::App app{"jouletrace: measure the energy a command uses, per component of the node"};
  app.set_version_flag("--version", std::string("jouletrace ") + JOULETRACE_VERSION);
  app.require_subcommand(1);

  jt::cli::RunOptions run_options;
  std::string run_sysfs;
  std::string run_dev;
  std::string interval_text = "100ms";
  CLI::App* run = app.add_subcommand("run", "Run a command and report the energy it used");
  add_probe_options(run, run_options.probe, run_sysfs, run_dev);
  run->add_option("-i,--interval", interval_text, "Sampling interval, e.g. 100ms, 1ms, 0.5s")
      ->default_val("100ms");
  run->add_option("-o,--output", run_options.output_json, "Write the JSON report to this file");
  run->add_option("--csv", run_options.output_csv, "Write the energy time series to this CSV file");
  run->add_flag("-q,--quiet", run_options.quiet, "Do not print the summary table");
  run->add_option("--model-watts-per-core", run_options.model_watts_per_core,
                  "Power of one busy core for the CPU estimate used when no CPU sensor is "
                  "readable (default 7 W)");
  run->add_option("--profile", run_options.profile_path,
                  "Node profile with idle baselines (default: written by `jouletrace calibrate`)");
  run->add_option("--tdp-file", run_options.tdp_file,
                  "Rated-power data for the runtime-based estimate (default: the installed one)");
  run->add_option("--pue", run_options.pue,
                  "Power usage effectiveness applied to the runtime-based estimate")
      ->default_val(1.0)
      ->check(CLI::Range(1.0, 5.0));
  run->add_option("--attribution", run_options.attribution,
                  "exclusive (the job owns the node), shared (split by the stated policy) or auto")
      ->default_val("auto")
      ->check(CLI::IsMember({"auto", "exclusive", "shared"}));
  run->add_option("--idle-threshold", run_options.idle_activity_pct,
                  "A GPU whose utilisation never exceeds this percentage did no work")
      ->default_val(1.0)
      ->check(CLI::Range(0.0, 100.0));
  run->add_option("command", run_options.command, "The command to measure, after --")->expected(-1);
  run->prefix_command();

  jt::cli::SensorsOptions sensors_options;
  std::string sensors_sysfs;
  std::string sensors_dev;
  CLI::App* sensors = app.add_subcommand("sensors", "List the energy sensors of this node");
  add_probe_options(sensors, sensors_options.probe, sensors_sysfs, sensors_dev);
  sensors->add_flag("--json", sensors_options.json, "Print JSON instead of a table");

  jt::cli::NodeOptions node_options;
  std::string node_sysfs;
  std::string node_dev;
  CLI::App* node =
      app.add_subcommand("node", "Show what this node is made of and its idle baselines");
  add_probe_options(node, node_options.probe, node_sysfs, node_dev);
  node->add_flag("--json", node_options.json, "Print the profile as JSON instead of a table");
  node->add_option("-o,--output", node_options.output, "Write the profile JSON to this file");
  node->add_option("--profile", node_options.profile_path,
                   "Stored profile whose baselines are shown (default: where `calibrate` writes)");

  jt::cli::CalibrateOptions calibrate_options;
  std::string calibrate_sysfs;
  std::string calibrate_dev;
  std::string settle_text = "10s";
  std::string duration_text = "30s";
  std::string calibrate_interval_text = "100ms";
  CLI::App* calibrate = app.add_subcommand(
      "calibrate", "Measure the idle power of every component and store it in the node profile");
  add_probe_options(calibrate, calibrate_options.probe, calibrate_sysfs, calibrate_dev);
  calibrate->add_option("--settle", settle_text, "Wait this long before measuring, e.g. 10s")
      ->default_val("10s");
  calibrate->add_option("--duration", duration_text, "Measure idle power this long, e.g. 30s")
      ->default_val("30s");
  calibrate->add_option("-i,--interval", calibrate_interval_text, "Sampling interval")
      ->default_val("100ms");
  calibrate->add_option("--profile", calibrate_options.profile_path,
                        "Where to store the profile (default: $JOULETRACE_PROFILE, else the "
                        "state directory; see docs/NODE-PROFILE.md)");

  // Everything after the first "--" is the measured command, verbatim: its own flags must never
  // be read as ours.
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> command;
  if (auto dash = std::find(args.begin(), args.end(), "--"); dash != args.end()) {
    command.assign(dash + 1, args.end());
    args.erase(dash, args.end());
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes a vector in reverse order
  jt::cli::MarkOptions mark_options;
  CLI::App* mark =
      app.add_subcommand("mark", "Mark a phase from a job script running under `jouletrace run`");
  mark->add_option("action", mark_options.action, "begin, end or items")->required();
  mark->add_option("name_or_count", mark_options.name,
                   "The phase name (for items: the count, then the name)")
      ->required();
  std::string items_name;
  mark->add_option("name", items_name, "The phase name, after the count of `items`");

  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (*run) {
    run_options.probe.sysfs_root = run_sysfs;
    run_options.probe.dev_root = run_dev;
    // prefix_command leaves everything after the command's name unparsed, flags included.
    for (const auto& extra : run->remaining()) run_options.command.push_back(extra);
    run_options.command.insert(run_options.command.end(), command.begin(), command.end());
    const auto interval = jt::cli::parse_interval_s(interval_text);
    if (!interval || !std::isfinite(*interval) || *interval < 1e-4 || *interval > 3600.0) {
      fmt::print(stderr, "jouletrace: --interval '{}' must be between 100us and 1h, e.g. 100ms\n",
                 interval_text);
      return 2;
    }
    run_options.interval_s = *interval;
    if (run_options.command.empty()) {
      fmt::print(stderr,
                 "jouletrace: no command given; usage: jouletrace run [options] -- CMD ARGS\n");
      return 2;
    }
    return jt::cli::run_verb(run_options);
  }
  if (*mark) {
    if (mark_options.action == "items") {
      const auto count = std::strtoull(mark_options.name.c_str(), nullptr, 10);
      if (items_name.empty() ||
          mark_options.name.find_first_not_of("0123456789") != std::string::npos) {
        fmt::print(stderr, "jouletrace mark items: usage: jouletrace mark items COUNT NAME\n");
        return 2;
      }
      mark_options.count = count;
      mark_options.name = items_name;
    } else if (!items_name.empty()) {
      fmt::print(stderr, "jouletrace mark: usage: jouletrace mark begin|end NAME\n");
      return 2;
    }
    return jt::cli::mark_verb(mark_options);
  }
  if (*node) {
    node_options.probe.sysfs_root = node_sysfs;
    node_options.probe.dev_root = node_dev;
    return jt::cli::node_verb(node_options);
  }
  if (*calibrate) {
    calibrate_options.probe.sysfs_root = calibrate_sysfs;
    calibrate_options.probe.dev_root = calibrate_dev;
    // A bare number means milliseconds for --interval; for these a unit is required so that
    // "--settle 10" cannot silently mean 10 ms.
    auto duration = [](const std::string& text, const char* name, double min_s,
                       double max_s) -> std::optional<double> {
      const auto value = text.find_first_not_of("0123456789.") == std::string::npos
                             ? std::nullopt
                             : jt::cli::parse_interval_s(text);
      if (!value || !std::isfinite(*value) || *value < min_s || *value > max_s) {
        fmt::print(stderr,
                   "jouletrace calibrate: {} '{}' must be a time with a unit between {:g} s and "
                   "{:g} s, e.g. 10s\n",
                   name, text, min_s, max_s);
        return std::nullopt;
      }
      return value;
    };
    const auto settle = duration(settle_text, "--settle", 0.0, 3600.0);
    const auto measure = duration(duration_text, "--duration", 0.1, 86400.0);
    const auto interval = duration(calibrate_interval_text, "--interval", 1e-4, 60.0);
    if (!settle || !measure || !interval) return 2;
    calibrate_options.settle_s = *settle;
    calibrate_options.duration_s = *measure;
    calibrate_options.interval_s = *interval;
    return jt::cli::calibrate_verb(calibrate_options);
  }
  sensors_options.probe.sysfs_root = sensors_sysfs;
  sensors_options.probe.dev_root = sensors_dev;
  return jt::cli::sensors_verb(sensors_options);
}
