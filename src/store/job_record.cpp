// SPDX-License-Identifier: BSD-3-Clause
#include "store/job_record.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "core/json_reader.hpp"

namespace jt::store {

namespace {

// Records come from other nodes and from a shared database (docs/STORE.md "Record format"):
// bounds keep one bad row from costing a query its memory.
constexpr std::size_t kMaxStringBytes = 4096;
constexpr std::size_t kMaxArrayEntries = 4096;

constexpr std::array kMethods = {Method::kCounter, Method::kPowerIntegrated, Method::kModel,
                                 Method::kMixed, Method::kNone};
constexpr std::array kScopes = {StepScope::kAllocation, StepScope::kBatch, StepScope::kStep};

nlohmann::json component_json(const ComponentFigure& c) {
  return {{"id", c.id},
          {"domain", c.domain},
          {"energy", figure_json(c.energy)},
          {"covered_s", c.covered_s},
          {"in_total", c.in_total}};
}

nlohmann::json phase_json(const PhaseFigure& p) {
  return {{"name", p.name},
          {"count", p.count},
          {"duration_s", p.duration_s},
          {"items", p.items},
          {"energy", figure_json(p.energy)}};
}

nlohmann::json gpu_json(const GpuFigure& g) {
  return {{"id", g.id},       {"uuid", g.uuid}, {"index", g.index},
          {"share", g.share}, {"idle", g.idle}, {"energy", figure_json(g.energy)}};
}

template <typename T, typename F>
nlohmann::json array_json(const std::vector<T>& items, F to_json_one) {
  nlohmann::json out = nlohmann::json::array();
  for (const T& item : items) out.push_back(to_json_one(item));
  return out;
}

// Reading is strict (JsonReader): the first problem is kept and names its field, later reads
// yield empty values, so a decoder reads the whole record and checks ok() once.
std::string bounded_string(const JsonReader& object, std::string_view key) {
  const JsonReader value = object.member(key);
  std::string text = value.as_string();
  if (text.size() > kMaxStringBytes) {
    value.fail("is longer than " + std::to_string(kMaxStringBytes) + " bytes");
    return {};
  }
  return text;
}

std::vector<JsonReader> bounded_array(const JsonReader& object, std::string_view key) {
  const JsonReader value = object.member(key);
  if (value.value().is_array() && value.value().size() > kMaxArrayEntries) {
    value.fail("has more than " + std::to_string(kMaxArrayEntries) + " entries");
    return {};
  }
  return value.as_array();
}

double non_negative(const JsonReader& object, std::string_view key) {
  return object.number(key, 0.0);
}

ComponentFigure read_component(const JsonReader& c) {
  return {.id = bounded_string(c, "id"),
          .domain = bounded_string(c, "domain"),
          .energy = read_figure(c, "energy"),
          .covered_s = non_negative(c, "covered_s"),
          .in_total = c.boolean("in_total")};
}

PhaseFigure read_phase(const JsonReader& p) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  return {.name = bounded_string(p, "name"),
          .count = static_cast<std::uint64_t>(p.integer("count", 0, kMax)),
          .duration_s = non_negative(p, "duration_s"),
          .items = static_cast<std::uint64_t>(p.integer("items", 0, kMax)),
          .energy = read_figure(p, "energy")};
}

GpuFigure read_gpu(const JsonReader& g) {
  return {.id = bounded_string(g, "id"),
          .uuid = bounded_string(g, "uuid"),
          .index = static_cast<int>(g.integer("index", 0, std::numeric_limits<int>::max())),
          .share = g.number("share", 0.0, 1.0),
          .energy = read_figure(g, "energy"),
          .idle = g.boolean("idle")};
}

template <typename T>
std::vector<T> read_array(const JsonReader& object, std::string_view key,
                          T (*read_one)(const JsonReader&)) {
  std::vector<T> out;
  for (const JsonReader& item : bounded_array(object, key))
    out.push_back(read_one(item.as_object()));
  return out;
}

std::vector<std::string> read_strings(const JsonReader& object, std::string_view key) {
  std::vector<std::string> out;
  for (const JsonReader& item : bounded_array(object, key)) {
    std::string text = item.as_string();
    if (text.size() > kMaxStringBytes) {
      item.fail("is longer than " + std::to_string(kMaxStringBytes) + " bytes");
      return {};
    }
    out.push_back(std::move(text));
  }
  return out;
}

void read_identity(const JsonReader& top, StepRecord& r) {
  r.key = {.cluster = bounded_string(top, "cluster"),
           .job_id = bounded_string(top, "job_id"),
           .step_id = bounded_string(top, "step_id"),
           .node = bounded_string(top, "node")};
  r.uid =
      static_cast<std::uint32_t>(top.integer("uid", 0, std::numeric_limits<std::uint32_t>::max()));
  r.user = bounded_string(top, "user");
  r.begin_unix_ms = top.integer("begin_unix_ms");
  r.end_unix_ms = top.integer("end_unix_ms");
  if (top.ok() && r.end_unix_ms < r.begin_unix_ms) {
    top.member("end_unix_ms").fail("is before begin_unix_ms");
  }
  const JsonReader scope = top.member("scope");
  if (const auto parsed = step_scope_from_string(scope.as_string())) {
    r.scope = *parsed;
  } else if (scope.ok()) {
    scope.fail("is not a known scope (allocation, batch, step)");
  }
  r.detail = bounded_string(top, "detail");
  r.cpus = bounded_string(top, "cpus");
  r.gpus = bounded_string(top, "gpus");
  r.cgroup = bounded_string(top, "cgroup");
}

void read_figures(const JsonReader& top, StepRecord& r) {
  r.components = read_array<ComponentFigure>(top, "components", read_component);
  r.total = read_figure(top, "total");
  const JsonReader coverage = top.member("coverage");
  // parts / node: above 1 when the meter reads low within the parts' uncertainty.
  if (!coverage.is_null()) r.coverage = coverage.as_number(0.0, 100.0);
  r.attribution_rule = bounded_string(top, "attribution_rule");
  r.attributed = read_figure(top, "attributed");
  r.gpus_measured = read_array<GpuFigure>(top, "gpus_measured", read_gpu);
  r.idle_gpu = read_figure(top, "idle_gpu");
  r.estimate = read_figure(top, "estimate");
  r.estimate_basis = bounded_string(top, "estimate_basis");
  r.phases = read_array<PhaseFigure>(top, "phases", read_phase);
  r.warnings = read_strings(top, "warnings");
}

}  // namespace

nlohmann::json figure_json(const Figure& figure) {
  return {{"energy_j", figure.energy_j ? nlohmann::json(*figure.energy_j) : nlohmann::json()},
          {"uncertainty_j", figure.uncertainty_j},
          {"systematic_j", figure.systematic_j},
          {"method", jt::to_string(figure.method)}};
}

Figure read_figure(const JsonReader& parent, std::string_view key) {
  const JsonReader object = parent.object(key);
  Figure figure;
  const JsonReader energy = object.member("energy_j");
  if (!energy.is_null()) figure.energy_j = energy.as_number();
  figure.uncertainty_j = non_negative(object, "uncertainty_j");
  figure.systematic_j = non_negative(object, "systematic_j");
  if (figure.systematic_j > figure.uncertainty_j) {
    object.member("systematic_j").fail("is larger than the uncertainty it is part of");
  }
  const JsonReader method = object.member("method");
  const std::string name = method.as_string();
  if (const auto parsed = method_from_string(name)) {
    figure.method = *parsed;
  } else if (method.ok()) {
    method.fail("is not a known method (counter, power-integrated, model, mixed, none)");
  }
  return figure;
}

Figure figure_of(const Measurement& m) {
  return {.energy_j = m.energy_j,
          .uncertainty_j = m.uncertainty.total_j,
          .systematic_j = m.uncertainty.calibration_j,
          .method = m.method};
}

// The independent terms are kept as one (their quadrature sum): a later sum only needs that
// and the systematic part, which adds linearly (docs/ARCHITECTURE.md §3, docs/STORE.md).
Measurement measurement_of(const Figure& f) {
  Measurement m;
  m.energy_j = f.energy_j;
  m.method = f.method;
  m.uncertainty.quantisation_j = std::max(0.0, f.uncertainty_j - f.systematic_j);
  m.uncertainty.calibration_j = f.systematic_j;
  m.uncertainty.calibration_known = true;
  m.uncertainty.total_j = f.uncertainty_j;
  return m;
}

std::optional<Method> method_from_string(std::string_view name) {
  for (Method method : kMethods) {
    if (name == jt::to_string(method)) return method;
  }
  return std::nullopt;
}

const char* to_string(StepScope scope) {
  switch (scope) {
    case StepScope::kAllocation: return "allocation";
    case StepScope::kBatch: return "batch";
    case StepScope::kStep: return "step";
  }
  return "step";
}

std::optional<StepScope> step_scope_from_string(std::string_view name) {
  for (StepScope scope : kScopes) {
    if (name == to_string(scope)) return scope;
  }
  return std::nullopt;
}

nlohmann::json to_json(const StepRecord& r) {
  return {{"format", StepRecord::kFormat},
          {"cluster", r.key.cluster},
          {"job_id", r.key.job_id},
          {"step_id", r.key.step_id},
          {"node", r.key.node},
          {"uid", r.uid},
          {"user", r.user},
          {"begin_unix_ms", r.begin_unix_ms},
          {"end_unix_ms", r.end_unix_ms},
          {"scope", to_string(r.scope)},
          {"detail", r.detail},
          {"cpus", r.cpus},
          {"gpus", r.gpus},
          {"cgroup", r.cgroup},
          {"components", array_json(r.components, component_json)},
          {"total", figure_json(r.total)},
          {"coverage", r.coverage ? nlohmann::json(*r.coverage) : nlohmann::json()},
          {"attribution_rule", r.attribution_rule},
          {"attributed", figure_json(r.attributed)},
          {"gpus_measured", array_json(r.gpus_measured, gpu_json)},
          {"idle_gpu", figure_json(r.idle_gpu)},
          {"estimate", figure_json(r.estimate)},
          {"estimate_basis", r.estimate_basis},
          {"phases", array_json(r.phases, phase_json)},
          {"warnings", r.warnings}};
}

Result<StepRecord> decode_step_record(std::string_view text) {
  auto json = parse_json(text, "the step record");
  if (!json) return std::unexpected(json.error());
  return decode_step_record(*json);
}

Result<StepRecord> decode_step_record(const nlohmann::json& value) {
  const JsonReader top = JsonReader(value, "record").as_object();
  const std::int64_t format = top.integer("format");
  if (top.ok() && format != StepRecord::kFormat) {
    return make_error(ErrorKind::kInvalidData,
                      "record.format is " + std::to_string(format) + ", not " +
                          std::to_string(StepRecord::kFormat),
                      "the record was written by another version of jouletrace");
  }
  StepRecord record;
  read_identity(top, record);
  read_figures(top, record);
  if (!top.ok()) {
    return make_error(ErrorKind::kInvalidData, "invalid step record: " + top.problem());
  }
  return record;
}

}  // namespace jt::store
