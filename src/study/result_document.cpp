// SPDX-License-Identifier: BSD-3-Clause
#include "study/result_document.hpp"

#include <fmt/format.h>

#include <array>
#include <limits>

#include "core/json_reader.hpp"
#include "core/sysfs_file.hpp"

namespace jt::study {

namespace {

constexpr std::string_view kRunSchema = "jouletrace.run";
constexpr std::string_view kRepeatSchema = "jouletrace.repeat";
constexpr std::int64_t kVersion = 1;

std::optional<double> nullable_number(const JsonReader& object, std::string_view key) {
  const JsonReader value = object.member(key);
  if (value.is_null()) return std::nullopt;
  return value.as_number();
}

// `<prefix>energy_j`, `<prefix>uncertainty_j`, `<prefix>method`, as the reporters write every
// figure (src/report/json_figures.hpp).
StatedFigure read_figure(const JsonReader& object, const std::string& prefix) {
  StatedFigure figure;
  figure.energy_j = nullable_number(object, prefix + "energy_j");
  const auto uncertainty = nullable_number(object, prefix + "uncertainty_j");
  if (figure.energy_j && !uncertainty) {
    // A known energy without its uncertainty would be compared as if it were exact.
    object.member(prefix + "uncertainty_j").fail("is null beside a known energy");
  }
  if (uncertainty && *uncertainty < 0.0) object.member(prefix + "uncertainty_j").fail("is < 0");
  figure.uncertainty_j = uncertainty.value_or(0.0);
  const JsonReader method = object.member(prefix + "method");
  const std::string name = method.as_string();
  if (const auto parsed = method_named(name)) {
    figure.method = *parsed;
  } else if (method.ok()) {
    method.fail("is not a known method (counter, power-integrated, model, mixed, none)");
  }
  return figure;
}

std::vector<StatedComponent> read_components(const JsonReader& run) {
  std::vector<StatedComponent> components;
  for (const JsonReader& c : run.array("components")) {
    components.push_back({c.as_object().string("id"), c.string("domain"), read_figure(c, "")});
  }
  return components;
}

std::optional<double> read_carbon_figure(const JsonReader& carbon, const std::string& key,
                                         const std::string& uncertainty_key, double& uncertainty);

std::vector<StatedPhase> read_phase_totals(const JsonReader& run) {
  std::vector<StatedPhase> phases;
  for (const JsonReader& p : run.array("phase_totals")) {
    StatedPhase phase;
    phase.name = p.as_object().string("name");
    phase.duration_s = nullable_number(p, "duration_s");
    phase.items = static_cast<std::uint64_t>(p.integer("items", 0));
    phase.energy = read_figure(p, "");
    phase.energy_per_item_j = nullable_number(p, "energy_per_item_j");
    if (p.optional_member("co2e_g")) {
      phase.co2e_stated = true;
      phase.co2e_g =
          read_carbon_figure(p, "co2e_g", "co2e_uncertainty_g", phase.co2e_uncertainty_g);
      phase.co2e_method = p.string("co2e_method");
    }
    phases.push_back(std::move(phase));
  }
  return phases;
}

StatedEstimate read_estimate(const JsonReader& run) {
  const JsonReader estimate = run.object("runtime_estimate");
  StatedEstimate out;
  if (const auto error = estimate.optional_member("error")) {  // the report says why not
    out.error = error->as_string();
    return out;
  }
  out.made = true;
  out.complete = estimate.boolean("complete");
  out.estimate_j = estimate.number("estimate_j", 0.0);
  out.relative_error = nullable_number(estimate, "relative_error");
  return out;
}

// The run's entry comes first, under the window "run"; the phases' follow, by name.
void read_idle_waste(const JsonReader& reader, StatedRun& run) {
  const auto entries = reader.array("idle_waste");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const JsonReader& w = entries[i];
    const std::string window = w.as_object().string("window");
    const StatedFigure idle = read_figure(w, "idle_gpu_");
    if (i == 0 && window == "run") {
      run.gpus = static_cast<int>(w.integer("gpus", 0, std::numeric_limits<int>::max()));
      run.idle_gpu = idle;
      continue;
    }
    for (StatedPhase& phase : run.phases) {
      if (phase.name == window && !phase.idle_gpu) phase.idle_gpu = idle;
    }
  }
}

// A stated figure and its uncertainty; the uncertainty is null exactly when the figure is.
std::optional<double> read_carbon_figure(const JsonReader& carbon, const std::string& key,
                                         const std::string& uncertainty_key, double& uncertainty) {
  const auto value = nullable_number(carbon, key);
  const auto spread = nullable_number(carbon, uncertainty_key);
  if (value && (!spread || *spread < 0.0)) {
    carbon.member(uncertainty_key).fail("is null or < 0 beside a known figure");
  }
  uncertainty = spread.value_or(0.0);
  return value;
}

std::optional<StatedCarbon> read_carbon(const JsonReader& run) {
  const auto member = run.optional_member("carbon");
  if (!member) return std::nullopt;
  const JsonReader carbon = member->as_object();
  StatedCarbon out;
  out.co2e_g = read_carbon_figure(carbon, "co2e_g", "co2e_uncertainty_g", out.co2e_uncertainty_g);
  out.co2e_method = carbon.string("co2e_method");
  out.cost = read_carbon_figure(carbon, "cost", "cost_uncertainty", out.cost_uncertainty);
  out.cost_method = carbon.string("cost_method");
  if (const JsonReader currency = carbon.member("currency"); !currency.is_null()) {
    out.currency = currency.as_string();
  }
  return out;
}

std::vector<std::optional<double>> nullable_numbers(const JsonReader& object, std::string_view key,
                                                    std::size_t count) {
  std::vector<std::optional<double>> values;
  const auto items = object.array(key);
  if (items.size() != count && object.ok()) {
    object.member(key).fail(
        fmt::format("has {} entries, not one per bucket ({})", items.size(), count));
  }
  for (const JsonReader& item : items) {
    values.push_back(item.is_null() ? std::nullopt : std::optional(item.as_number()));
  }
  return values;
}

StatedProfileSeries read_profile_series(const JsonReader& s, std::size_t buckets) {
  StatedProfileSeries out;
  out.id = s.as_object().string("id");
  out.domain = s.string("domain");
  const JsonReader method = s.member("method");
  if (const auto parsed = method_named(method.as_string())) {
    out.method = *parsed;
  } else if (method.ok()) {
    method.fail("is not a known method (counter, power-integrated, model, mixed, none)");
  }
  out.stacked = s.boolean("stacked");
  out.contains_others = s.boolean("contains_others");
  out.power_w = nullable_numbers(s, "power_w", buckets);
  out.uncertainty_w = nullable_numbers(s, "uncertainty_w", buckets);
  return out;
}

// Absent in reports from before the profile existed; null when there was nothing to cut.
std::optional<StatedPowerProfile> read_power_profile(const JsonReader& run) {
  const auto member = run.optional_member("power_profile");
  if (!member || member->is_null()) return std::nullopt;
  const JsonReader profile = member->as_object();
  StatedPowerProfile out;
  out.buckets = static_cast<std::size_t>(profile.integer("buckets", 1));
  out.bucket_s = profile.number("bucket_s", 0.0);
  out.method = profile.string("method");
  for (const JsonReader& s : profile.array("series")) {
    out.series.push_back(read_profile_series(s, out.buckets));
  }
  return out;
}

std::vector<StatedPhaseInstance> read_phase_instances(const JsonReader& run) {
  std::vector<StatedPhaseInstance> phases;
  for (const JsonReader& p : run.array("phases")) {
    StatedPhaseInstance phase;
    phase.name = p.as_object().string("name");
    phase.start_s = p.number("start_s", std::numeric_limits<double>::lowest());
    phase.end_s = p.number("end_s", std::numeric_limits<double>::lowest());
    phase.energy = read_figure(p, "");
    for (const JsonReader& c : p.array("components")) {
      if (!c.as_object().boolean("in_total")) continue;
      phase.parts.push_back({c.string("id"), c.string("domain"), read_figure(c, "")});
    }
    phases.push_back(std::move(phase));
  }
  return phases;
}

// A study's result file names its configuration; a run or repeat report has no `study`.
std::optional<std::string> read_study_label(const JsonReader& top) {
  const auto study = top.optional_member("study");
  if (!study) return std::nullopt;
  const auto label = study->as_object().optional_member("label");
  if (!label) return std::nullopt;
  return label->as_string();
}

void check_schema(const JsonReader& top, std::string_view expected) {
  const JsonReader schema = top.member("schema");
  if (schema.as_string() != expected && schema.ok()) {
    schema.fail(fmt::format("is not {}", expected));
  }
  const JsonReader version = top.member("version");
  if (version.as_integer() != kVersion && version.ok()) {
    version.fail(fmt::format("is not {} (the version this jouletrace reads)", kVersion));
  }
}

StatedRun read_run(const JsonReader& reader) {
  check_schema(reader.as_object(), kRunSchema);
  StatedRun run;
  run.started = reader.boolean("started");
  run.complete = reader.boolean("complete");
  run.hostname = reader.string("hostname");
  run.command = reader.strings("command");
  run.duration_s = nullable_number(reader, "duration_s");
  run.total = read_figure(reader, "total_");
  run.components = read_components(reader);
  run.phases = read_phase_totals(reader);
  run.estimate = read_estimate(reader);
  read_idle_waste(reader, run);
  run.carbon = read_carbon(reader);
  run.started_at = reader.string("started_at");
  run.phase_instances = read_phase_instances(reader);
  run.power_profile = read_power_profile(reader);
  return run;
}

Error invalid(const std::string& origin, const std::string& problem) {
  return Error{ErrorKind::kInvalidData, fmt::format("{}: {}", origin, problem),
               "compare reads the reports of `run -o` (jouletrace.run) and of "
               "`run --repeat N -o` (jouletrace.repeat), version 1"};
}

}  // namespace

std::optional<Method> method_named(std::string_view name) {
  constexpr std::array kMethods = {Method::kCounter, Method::kPowerIntegrated, Method::kModel,
                                   Method::kMixed, Method::kNone};
  for (Method method : kMethods) {
    if (name == to_string(method)) return method;
  }
  return std::nullopt;
}

Result<ResultDocument> decode_result_document(const nlohmann::json& document,
                                              const std::string& origin) {
  const JsonReader top(document, "");
  ResultDocument out;
  const JsonReader schema = top.as_object().member("schema");
  out.schema = schema.as_string();
  if (!top.ok()) return std::unexpected(invalid(origin, top.problem()));
  if (out.schema == kRunSchema) {
    out.runs.push_back(read_run(top));
  } else if (out.schema == kRepeatSchema) {
    check_schema(top, kRepeatSchema);
    const auto runs = top.array("runs");
    for (const JsonReader& run : runs) out.runs.push_back(read_run(run));
    out.label = read_study_label(top);
  } else {
    return std::unexpected(invalid(origin, fmt::format("schema is '{}', not {} or {}", out.schema,
                                                       kRunSchema, kRepeatSchema)));
  }
  if (!top.ok()) return std::unexpected(invalid(origin, top.problem()));
  if (out.runs.empty()) return std::unexpected(invalid(origin, "runs is empty"));
  return out;
}

Result<ResultDocument> read_result_document(const std::filesystem::path& path) {
  // Both errors already name the file.
  auto text = read_text_file(path);
  if (!text) return std::unexpected(text.error());
  auto document = parse_json(*text, path.string());
  if (!document) {
    Error e = document.error();
    e.hint = invalid("", "").hint;
    return std::unexpected(e);
  }
  return decode_result_document(*document, path.string());
}

}  // namespace jt::study
