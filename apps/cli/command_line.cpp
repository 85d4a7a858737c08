// SPDX-License-Identifier: BSD-3-Clause
#include "command_line.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <optional>

#include "arguments.hpp"
#include "completions.hpp"

namespace jt::cli {

namespace {

constexpr std::array<std::string_view, 11> kVerbs = {"run",     "sensors", "node",  "calibrate",
                                                     "mark",    "agent",   "job",   "jobs",
                                                     "compare", "study",   "report"};
constexpr const char* kVerbList =
    "commands: run, sensors, node, calibrate, mark, agent, job, jobs, compare, study, "
    "report (`jouletrace --help`)";

// The options every verb that reads sensors shares.
struct ProbeTexts {
  std::string sysfs = "/sys";
  std::string dev = "/dev";
  std::string proc = "/proc";
};

void add_probe_options(CLI::App* app, ProbeContext& probe, ProbeTexts& texts) {
  probe.may_set_environment = true;  // our own process (src/sensors/sensor.hpp)
  app->add_option("--sysfs-root", texts.sysfs, "Where sysfs is mounted (fixture trees in tests)");
  app->add_option("--dev-root", texts.dev, "Where /dev is (for cpu/N/msr)");
  app->add_option("--nvml-library", probe.nvml_library,
                  "Path of libnvidia-ml.so.1 (default: $JOULETRACE_NVML_LIBRARY, then the "
                  "system's)");
  app->add_option("--amd-smi-library", probe.amd_smi_library,
                  "Path of AMD SMI (default: $JOULETRACE_AMD_SMI_LIBRARY, then libamd_smi.so)");
  app->add_option("--rocm-smi-library", probe.rocm_smi_library,
                  "Path of ROCm SMI (default: $JOULETRACE_ROCM_SMI_LIBRARY, then "
                  "librocm_smi64.so.5, .so.6, .so.7, .so.1)");
  app->add_option("--level-zero-library", probe.level_zero_library,
                  "Path of the Level Zero loader (default: $JOULETRACE_LEVEL_ZERO_LIBRARY, then "
                  "libze_loader.so.1)");
  app->add_option("--proc-root", texts.proc, "Where /proc is (CPU model, memory size)");
  app->add_option("--redfish-config", probe.redfish_config,
                  "Redfish BMC settings file (default: $JOULETRACE_REDFISH_CONFIG)");
  // Callbacks rather than "!--no-bmc" flags: CLI11 shows a negated flag's value in --help
  // ("--no-bmc{false}"), which then reached the man pages.
  app->add_flag_callback(
      "--no-bmc", [&probe] { probe.probe_bmc = false; },
      "Do not probe whole-node meters behind a BMC");
  app->add_option("--agent", probe.agent_socket,
                  "The node agent's socket (default: $JOULETRACE_AGENT, then "
                  "/run/jouletrace/agent.sock)");
  app->add_flag_callback(
      "--no-agent", [&probe] { probe.use_agent = false; },
      "Read every sensor directly, never through the node agent");
}

void apply(const ProbeTexts& texts, ProbeContext& probe) {
  probe.sysfs_root = texts.sysfs;
  probe.dev_root = texts.dev;
  probe.proc_root = texts.proc;
}

// The carbon options as their command line gave them.
struct CarbonTexts {
  std::string carbon_intensity;
  std::string price;
  std::string region;
  std::string pue = "1";
};

void add_carbon_options(CLI::App* app, CarbonTexts& t) {
  app->add_option("--pue", t.pue,
                  "Power usage effectiveness for the runtime-based estimate and CO2e/cost (1)");
  app->add_option("--region", t.region,
                  "Country or grid region of the carbon data file for CO2e (and price) "
                  "(default: $JOULETRACE_REGION; none: no CO2e)");
  app->add_option("--carbon-intensity", t.carbon_intensity,
                  "Grid carbon intensity in g CO2e/kWh (default: $JOULETRACE_CARBON_INTENSITY, "
                  "then the region's)");
  app->add_option("--price", t.price,
                  "Electricity price per kWh, AMOUNT or AMOUNT/CURRENCY (default: "
                  "$JOULETRACE_PRICE, then the region's)");
}

// The values `run` takes as text and checks itself, so that every message says what was wrong.
struct RunTexts {
  ProbeTexts probe;
  std::string interval = "100ms";
  std::string model_watts = "7";
  std::string idle_threshold = "1";
  std::string checkpoint = "10s";
  std::string repeat = "1";
  CarbonTexts carbon;
};

struct CalibrateTexts {
  ProbeTexts probe;
  std::string settle = "10s";
  std::string duration = "30s";
  std::string interval = "100ms";
};

struct Definition {
  // Named, so that `--help` (and the man pages help2man makes of it) say "Usage: jouletrace ...":
  // parse() is given the words after the program's name, never argv[0].
  CLI::App app{"jouletrace: measure the energy a command uses, per component of the node",
               "jouletrace"};
  Invocation invocation;
  RunTexts run_texts;
  ProbeTexts sensors_texts;
  ProbeTexts node_texts;
  CalibrateTexts calibrate_texts;
  ProbeTexts agent_texts;
  RunTexts study_texts;
  CarbonTexts job_carbon;
  CarbonTexts jobs_carbon;
  std::string study_repetitions;
  std::string study_cooldown;
  std::string agent_interval = "100ms";
  bool model_watts_given = false;
  std::string items_name;
  CLI::App* run = nullptr;
  CLI::App* sensors = nullptr;
  CLI::App* node = nullptr;
  CLI::App* calibrate = nullptr;
  CLI::App* mark = nullptr;
  CLI::App* agent = nullptr;
  CLI::App* job = nullptr;
  CLI::App* jobs = nullptr;
  CLI::App* compare = nullptr;
  CLI::App* study = nullptr;
  CLI::App* report = nullptr;
};

// What `run` and `study` measure with: sensors, interval, baselines, estimate, CO2e, attribution.
void add_measurement_options(CLI::App* app, RunOptions& o, RunTexts& t) {
  add_probe_options(app, o.probe, t.probe);
  app->add_option("-i,--interval", t.interval, "Sampling interval with its unit (100ms)");
  app->add_flag("-v,--verbose", o.verbose, "Print every absent backend with its fix");
  app->add_option("--model-watts-per-core", t.model_watts,
                  "Power of one busy core for the CPU estimate used when no CPU sensor is "
                  "readable (default 7)");
  app->add_option("--profile", o.profile_path,
                  "Node profile with idle baselines (default: written by `jouletrace calibrate`)");
  app->add_option("--tdp-file", o.tdp_file,
                  "Rated-power data for the runtime-based estimate (default: the installed one)");
  add_carbon_options(app, t.carbon);
  app->add_option("--attribution", o.attribution,
                  "exclusive (the job owns the node), shared (split by the stated policy) or auto")
      ->check(CLI::IsMember({"auto", "exclusive", "shared"}));
  app->add_option("--idle-threshold", t.idle_threshold,
                  "A GPU whose utilisation never exceeds this percentage did no work (1)");
  app->add_flag("--wait-all", o.wait_all,
                "Also wait for processes the command left running when it exited");
}

void define_run(Definition& d) {
  RunOptions& o = d.invocation.run;
  RunTexts& t = d.run_texts;
  d.run = d.app.add_subcommand(
      "run", "Run a command and report the energy it used: jouletrace run [options] CMD ARGS...");
  add_measurement_options(d.run, o, t);
  d.run->add_option("-o,--output", o.output_json,
                    "Write the JSON report to this file (- : stdout)");
  d.run->add_option("--csv", o.output_csv, "Stream the energy time series to this CSV file");
  d.run->add_flag("-q,--quiet", o.quiet, "Do not print the summary");
  d.run->add_option("--checkpoint", t.checkpoint,
                    "Rewrite the JSON report this often while the command runs (10s; 0s: never)");
  d.run->add_option("--repeat", t.repeat, "Run the command N times; mean and deviation (1)");
}

void define_other_verbs(Definition& d) {
  Invocation& inv = d.invocation;
  d.sensors = d.app.add_subcommand("sensors", "List the energy sensors of this node");
  add_probe_options(d.sensors, inv.sensors.probe, d.sensors_texts);
  d.sensors->add_flag("--json", inv.sensors.json, "Print JSON instead of a table");

  d.node = d.app.add_subcommand("node", "Show what this node is made of and its idle baselines");
  add_probe_options(d.node, inv.node.probe, d.node_texts);
  d.node->add_flag("--json", inv.node.json, "Print the profile as JSON instead of a table");
  d.node->add_option("-o,--output", inv.node.output, "Write the profile JSON to this file");
  d.node->add_option(
      "--profile", inv.node.profile_path,
      "Stored profile whose baselines are shown (default: where `calibrate` writes)");

  CalibrateTexts& c = d.calibrate_texts;
  d.calibrate = d.app.add_subcommand(
      "calibrate", "Measure the idle power of every component and store it in the node profile");
  add_probe_options(d.calibrate, inv.calibrate.probe, c.probe);
  d.calibrate->add_option("--settle", c.settle, "Wait this long before measuring (10s)");
  d.calibrate->add_option("--duration", c.duration, "Measure idle power this long (30s)");
  d.calibrate->add_option("-i,--interval", c.interval, "Sampling interval (100ms)");
  d.calibrate->add_option("--profile", inv.calibrate.profile_path,
                          "Where to store the profile (default: $JOULETRACE_PROFILE, else the "
                          "state directory; see docs/NODE-PROFILE.md)");

  d.mark = d.app.add_subcommand("mark", "Mark a phase from a job script under `jouletrace run`");
  d.mark->add_option("action", inv.mark.action, "begin, end or items")
      ->required()
      ->check(CLI::IsMember({"begin", "end", "items"}));
  d.mark
      ->add_option("name_or_count", inv.mark.name,
                   "The phase name (for items: the count, then the name)")
      ->required();
  d.mark->add_option("name", d.items_name, "The phase name, after the count of `items`");
}

void define_agent(Definition& d) {
  AgentOptions& o = d.invocation.agent;
  d.agent = d.app.add_subcommand(
      "agent", "Run the node agent: sample every sensor and serve each user their energy");
  add_probe_options(d.agent, o.probe, d.agent_texts);
  d.agent->add_option("--socket", o.socket, "UNIX socket to serve (/run/jouletrace/agent.sock)");
  d.agent->add_option("--metrics-listen", o.metrics_listen,
                      "Serve Prometheus metrics at ADDR:PORT/metrics (off by default)");
  d.agent->add_option("--state-dir", o.state_dir,
                      "Where the history journal is kept (/var/lib/jouletrace)");
  d.agent->add_option("--config", o.config, "Settings file (docs/AGENT.md)");
  d.agent->add_option("-i,--interval", d.agent_interval, "Sampling interval with its unit (100ms)");
}

void define_job_verbs(Definition& d) {
  JobOptions& j = d.invocation.job;
  d.job = d.app.add_subcommand("job", "Show a Slurm job's energy from the job store (like seff)");
  d.job->add_option("job_id", j.job_id, "The job's id")->required();
  d.job->add_flag("--json", j.json, "Write JSON (every step record) instead of text");
  d.job->add_flag("--admin-comment", j.admin_comment,
                  "Write the compact line the EpilogSlurmctld script stores in AdminComment");
  d.job
      ->add_option("--expect-nodes", j.expect_nodes,
                   "With --admin-comment: exit 3 until this many nodes have written the "
                   "allocation's record (Slurm's extern step)")
      ->check(CLI::Range(0, 1'000'000));
  d.job->add_option("--agent", j.agent_socket, "The node agent's socket");
  add_carbon_options(d.job, d.job_carbon);
  JobsOptions& l = d.invocation.jobs;
  d.jobs = d.app.add_subcommand("jobs", "List Slurm jobs with their energy, newest first");
  d.jobs->add_option("--user", l.user, "A user's jobs (name or uid; operators only for others)");
  d.jobs->add_option("--since", l.since,
                     "Jobs that ended since a date (2026-12-01) or an age (24h)");
  d.jobs->add_option("--limit", l.limit, "At most this many jobs (100)")
      ->check(CLI::Range(1, 10000));
  d.jobs->add_flag("--json", l.json, "Write JSON instead of text");
  d.jobs->add_option("--agent", l.agent_socket, "The node agent's socket");
  add_carbon_options(d.jobs, d.jobs_carbon);
}

void define_compare(Definition& d) {
  CompareOptions& c = d.invocation.compare;
  d.compare = d.app.add_subcommand(
      "compare",
      "Compare result files of `run -o` and `run --repeat N -o`: the study table, one "
      "configuration per file: jouletrace compare [options] [LABEL=]FILE...");
  d.compare->add_option("results", c.results, "Result files, each FILE or LABEL=FILE")->required();
  d.compare->add_option("--reference", c.reference,
                        "The label of the configuration the others are divided by, per phase");
  auto* csv = d.compare->add_flag("--csv", c.csv,
                                  "Write CSV: a row per configuration, phase "
                                  "and figure");
  auto* json = d.compare->add_flag("--json", c.json, "Write JSON (schemas/compare.schema.json)");
  csv->excludes(json);
  d.compare->add_option("-o,--output", c.output, "Write to this file instead of stdout");
}

void define_study(Definition& d) {
  StudyOptions& o = d.invocation.study;
  d.study = d.app.add_subcommand(
      "study",
      "Run a declared matrix of commands and bundled workloads x configurations, each repeated "
      "with a cool-down and an idle check, under measurement; one result file per node and "
      "configuration: jouletrace study [options] STUDY.toml|STUDY.json");
  d.study->add_option("study_file", o.study_file, "The study (docs/STUDY.md)")->required();
  add_measurement_options(d.study, o.run, d.study_texts);
  d.study->add_option("-o,--output", o.output,
                      "Result directory (default: the study's `output`, else study-results "
                      "beside the study file); each node writes into HOSTNAME/ below it");
  d.study->add_option("--repetitions", d.study_repetitions,
                      "Runs per configuration, overriding the study's");
  d.study->add_option("--cooldown", d.study_cooldown,
                      "Wait after each run, overriding the study's (e.g. 30s)");
  d.study->add_flag("--no-idle-check", o.no_idle_check,
                    "Do not wait for the node to return to idle before each run");
  d.study->add_flag("--dry-run", o.dry_run, "List the runs the study would make, run nothing");
  d.study->add_flag("-q,--quiet", o.run.quiet, "No progress, only warnings and errors");
}

void define_report(Definition& d) {
  ReportOptions& r = d.invocation.report;
  d.report = d.app.add_subcommand(
      "report",
      "Draw result files as a self-contained HTML page: one configuration gives the run page, "
      "several (or a study index) the study page: jouletrace report [LABEL=]FILE... --html "
      "OUT.html");
  d.report->add_option("results", r.results, "Result files (FILE or LABEL=FILE) or study indexes")
      ->required();
  d.report->add_option("--html", r.html, "Write the page to this file")->required();
  d.report->add_option("--reference", r.reference,
                       "The label of the configuration the others are divided by (study page)");
}

int usage_error(std::string_view verb, const std::string& message, const std::string& hint = {}) {
  fmt::print(stderr, "jouletrace{}{}: {}\n", verb.empty() ? "" : " ", verb, message);
  fmt::print(stderr, "  {}\n",
             hint.empty() ? fmt::format("`jouletrace {}--help` lists the options",
                                        verb.empty() ? "" : std::string(verb) + " ")
                          : hint);
  return kExitOwnFailure;
}

// The carbon options, checked now so that a typo is a usage error before anything runs; the
// region is checked against the data file when the factors are resolved.
std::optional<std::string> finish_carbon(const CLI::App& app, const CarbonTexts& t,
                                         CarbonSettingTexts& out, double& pue, bool& pue_given) {
  auto parsed_pue = parse_number("--pue", t.pue, 1.0, 5.0);
  if (!parsed_pue) return parsed_pue.error().message;
  pue = *parsed_pue;
  pue_given = app.count("--pue") > 0;
  if (app.count("--carbon-intensity") > 0) {
    auto intensity = parse_carbon_intensity(t.carbon_intensity, "--carbon-intensity");
    if (!intensity) return intensity.error().message;
    out.carbon_intensity = t.carbon_intensity;
  }
  if (app.count("--price") > 0) {
    auto price = parse_price(t.price, "--price");
    if (!price) return price.error().message;
    out.price = t.price;
  }
  if (app.count("--region") > 0) {
    if (t.region.empty()) return "--region: empty (give a code such as DE or US-CAL-CISO)";
    out.region = t.region;
  }
  return std::nullopt;
}

// Turns the texts of the measurement options into checked values; a message names the option.
std::optional<std::string> finish_measurement(const CLI::App& app, const RunTexts& t,
                                              RunOptions& o) {
  apply(t.probe, o.probe);
  auto interval = parse_duration_s("--interval", t.interval, 1e-4, 3600.0);
  if (!interval) return interval.error().message;
  o.interval_s = *interval;
  // More than a kilowatt per core is no CPU; 0 or less would make the estimate meaningless.
  auto watts = parse_number("--model-watts-per-core", t.model_watts, 0.01, 1000.0, "W");
  if (!watts) return watts.error().message;
  o.model_watts_per_core = app.count("--model-watts-per-core") > 0 ? *watts : 0.0;
  if (auto error = finish_carbon(app, t.carbon, o.carbon, o.pue, o.pue_given)) return error;
  auto threshold = parse_number("--idle-threshold", t.idle_threshold, 0.0, 100.0, "%");
  if (!threshold) return threshold.error().message;
  o.idle_activity_pct = *threshold;
  return std::nullopt;
}

// Turns the texts of `run` into checked values; an error message names the option.
std::optional<std::string> finish_run(Definition& d) {
  RunOptions& o = d.invocation.run;
  const RunTexts& t = d.run_texts;
  if (auto error = finish_measurement(*d.run, t, o)) return error;
  auto checkpoint = parse_duration_s("--checkpoint", t.checkpoint, 0.0, 86400.0);
  if (!checkpoint) return checkpoint.error().message;
  if (*checkpoint > 0.0 && *checkpoint < 1.0) return "--checkpoint: at least 1s (or 0s: never)";
  o.checkpoint_s = *checkpoint;
  auto repeat = parse_number("--repeat", t.repeat, 1.0, 10000.0);
  if (!repeat) return repeat.error().message;
  if (*repeat != static_cast<double>(static_cast<int>(*repeat))) {
    return fmt::format("--repeat '{}' is not a whole number", t.repeat);
  }
  o.repeat = static_cast<int>(*repeat);
  if (o.command.empty()) return "no command given; usage: jouletrace run [options] CMD ARGS...";
  return std::nullopt;
}

std::optional<std::string> finish_study(Definition& d) {
  StudyOptions& o = d.invocation.study;
  if (auto error = finish_measurement(*d.study, d.study_texts, o.run)) return error;
  if (d.study->count("--repetitions") > 0) {
    auto repetitions = parse_number("--repetitions", d.study_repetitions, 1.0, 1000.0);
    if (!repetitions) return repetitions.error().message;
    if (*repetitions != static_cast<double>(static_cast<int>(*repetitions))) {
      return fmt::format("--repetitions '{}' is not a whole number", d.study_repetitions);
    }
    o.repetitions = static_cast<int>(*repetitions);
  }
  if (d.study->count("--cooldown") > 0) {
    auto cooldown = parse_duration_s("--cooldown", d.study_cooldown, 0.0, 86400.0);
    if (!cooldown) return cooldown.error().message;
    o.cooldown_s = *cooldown;
  }
  return std::nullopt;
}

std::optional<std::string> finish_calibrate(Definition& d) {
  CalibrateOptions& o = d.invocation.calibrate;
  const CalibrateTexts& t = d.calibrate_texts;
  apply(t.probe, o.probe);
  auto settle = parse_duration_s("--settle", t.settle, 0.0, 3600.0);
  if (!settle) return settle.error().message;
  auto duration = parse_duration_s("--duration", t.duration, 0.1, 86400.0);
  if (!duration) return duration.error().message;
  auto interval = parse_duration_s("--interval", t.interval, 1e-4, 60.0);
  if (!interval) return interval.error().message;
  o.settle_s = *settle;
  o.duration_s = *duration;
  o.interval_s = *interval;
  return std::nullopt;
}

std::optional<std::string> finish_mark(Definition& d) {
  MarkOptions& o = d.invocation.mark;
  if (o.action != "items") {
    if (!d.items_name.empty()) return "usage: jouletrace mark begin|end NAME";
    return std::nullopt;
  }
  if (d.items_name.empty() || o.name.empty() ||
      o.name.find_first_not_of("0123456789") != std::string::npos || o.name.size() > 19) {
    return "usage: jouletrace mark items COUNT NAME (COUNT a whole number)";
  }
  o.count = std::stoull(o.name);
  o.name = d.items_name;
  return std::nullopt;
}

// The hidden `--generate-completions SHELL` (docs/INSTALL.md): the build installs its output.
int print_completions(const CLI::App& app, std::span<const std::string> shell) {
  if (shell.size() == 1 && shell[0] == "bash") {
    fmt::print("{}", bash_completion(app));
    return 0;
  }
  if (shell.size() == 1 && shell[0] == "zsh") {
    fmt::print("{}", zsh_completion(app));
    return 0;
  }
  return usage_error("", "usage: jouletrace --generate-completions bash|zsh");
}

// CLI11 takes the words in reverse order.
std::vector<std::string> reversed(std::vector<std::string> words) {
  std::reverse(words.begin(), words.end());
  return words;
}

}  // namespace

std::variant<Invocation, int> parse_command_line(std::span<const std::string> words) {
  Definition d;
  d.app.set_version_flag("--version", std::string("jouletrace ") + JOULETRACE_VERSION);
  d.app.require_subcommand(1);
  define_run(d);
  define_other_verbs(d);
  define_agent(d);
  define_job_verbs(d);
  define_compare(d);
  define_study(d);
  define_report(d);

  if (words.empty()) {
    return usage_error("", "no command given", kVerbList);
  }
  if (!words[0].starts_with('-') &&
      std::find(kVerbs.begin(), kVerbs.end(), words[0]) == kVerbs.end()) {
    return usage_error("", fmt::format("unknown command '{}'", words[0]), kVerbList);
  }
  if (words[0] == "--generate-completions") return print_completions(d.app, words.subspan(1));
  std::vector<std::string> to_parse(words.begin(), words.end());
  const bool is_run = !words.empty() && words[0] == "run";
  if (is_run) {
    auto line = split_at_command(*d.run, words.subspan(1));
    if (!line) return usage_error("run", line.error().message, line.error().hint);
    d.invocation.run.command = line->command;
    to_parse.assign(1, "run");
    to_parse.insert(to_parse.end(), line->options.begin(), line->options.end());
  }
  try {
    d.app.parse(reversed(std::move(to_parse)));
  } catch (const CLI::CallForHelp& e) {
    return d.app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return d.app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return d.app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(words.empty() ? "" : words[0], e.what());
  }

  std::optional<std::string> problem;
  Invocation& inv = d.invocation;
  if (*d.run) {
    inv.verb = Invocation::Verb::kRun;
    problem = finish_run(d);
  } else if (*d.calibrate) {
    inv.verb = Invocation::Verb::kCalibrate;
    problem = finish_calibrate(d);
  } else if (*d.mark) {
    inv.verb = Invocation::Verb::kMark;
    problem = finish_mark(d);
  } else if (*d.agent) {
    inv.verb = Invocation::Verb::kAgent;
    apply(d.agent_texts, inv.agent.probe);
    auto interval = parse_duration_s("--interval", d.agent_interval, 1e-3, 60.0);
    if (interval) {
      inv.agent.interval_s = *interval;
    } else {
      problem = interval.error().message;
    }
  } else if (*d.job) {
    inv.verb = Invocation::Verb::kJob;
    problem = finish_carbon(*d.job, d.job_carbon, inv.job.carbon, inv.job.pue, inv.job.pue_given);
  } else if (*d.jobs) {
    inv.verb = Invocation::Verb::kJobs;
    problem =
        finish_carbon(*d.jobs, d.jobs_carbon, inv.jobs.carbon, inv.jobs.pue, inv.jobs.pue_given);
  } else if (*d.compare) {
    inv.verb = Invocation::Verb::kCompare;
  } else if (*d.study) {
    inv.verb = Invocation::Verb::kStudy;
    problem = finish_study(d);
  } else if (*d.report) {
    inv.verb = Invocation::Verb::kReport;
  } else if (*d.node) {
    inv.verb = Invocation::Verb::kNode;
    apply(d.node_texts, inv.node.probe);
  } else {
    inv.verb = Invocation::Verb::kSensors;
    apply(d.sensors_texts, inv.sensors.probe);
  }
  if (problem) return usage_error(words[0], *problem);
  return std::move(d.invocation);
}

}  // namespace jt::cli
