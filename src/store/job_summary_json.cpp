#include "store/job_summary_json.hpp"

#include <fmt/format.h>

#include <cmath>

namespace jt::store {

namespace {

using nlohmann::json;

Error invalid(const std::string& field, const char* what) {
  return Error{ErrorKind::kInvalidData, fmt::format("{}: {}", field, what), {}, {}};
}

bool finite_number(const json& v) { return v.is_number() && std::isfinite(v.get<double>()); }

}  // namespace

json figure_json(const Figure& figure) {
  json out;
  out["energy_j"] = figure.energy_j ? json(*figure.energy_j) : json(nullptr);
  out["uncertainty_j"] = figure.uncertainty_j;
  out["systematic_j"] = figure.systematic_j;
  out["method"] = to_string(figure.method);
  return out;
}

Result<Figure> decode_figure(const json& value, const char* field) {
  if (!value.is_object()) return std::unexpected(invalid(field, "is an object"));
  Figure f;
  const auto energy = value.find("energy_j");
  if (energy == value.end()) return std::unexpected(invalid(field, "has no energy_j"));
  if (!energy->is_null()) {
    if (!finite_number(*energy)) return std::unexpected(invalid(field, "energy_j is a number"));
    f.energy_j = energy->get<double>();
  }
  for (const auto& [name, target] : {std::pair{"uncertainty_j", &f.uncertainty_j},
                                     std::pair{"systematic_j", &f.systematic_j}}) {
    const auto it = value.find(name);
    if (it == value.end() || !finite_number(*it) || it->get<double>() < 0.0)
      return std::unexpected(invalid(field, "uncertainties are numbers >= 0"));
    *target = it->get<double>();
  }
  const auto method = value.find("method");
  if (method == value.end() || !method->is_string())
    return std::unexpected(invalid(field, "method is a string"));
  const auto m = method_from_string(method->get<std::string>());
  if (!m) return std::unexpected(invalid(field, "method is counter, power-integrated, model, mixed or none"));
  f.method = *m;
  return f;
}

json to_json(const JobSummary& s) {
  return {{"cluster", s.cluster},
          {"job_id", s.job_id},
          {"uid", s.uid},
          {"user", s.user},
          {"begin_unix_ms", s.begin_unix_ms},
          {"end_unix_ms", s.end_unix_ms},
          {"nodes", s.nodes},
          {"steps", s.steps},
          {"total", figure_json(s.total)},
          {"idle_gpu", figure_json(s.idle_gpu)},
          {"estimate", figure_json(s.estimate)},
          {"whole", s.whole}};
}

Result<JobSummary> decode_job_summary(const json& value) {
  if (!value.is_object()) return make_error(ErrorKind::kInvalidData, "a job is an object");
  JobSummary s;
  try {
    s.cluster = value.at("cluster").get<std::string>();
    s.job_id = value.at("job_id").get<std::string>();
    s.uid = value.at("uid").get<std::uint32_t>();
    s.user = value.at("user").get<std::string>();
    s.begin_unix_ms = value.at("begin_unix_ms").get<std::int64_t>();
    s.end_unix_ms = value.at("end_unix_ms").get<std::int64_t>();
    s.nodes = value.at("nodes").get<int>();
    s.steps = value.at("steps").get<int>();
    s.whole = value.at("whole").get<bool>();
  } catch (const json::exception& e) {
    return make_error(ErrorKind::kInvalidData, fmt::format("a job of the list: {}", e.what()));
  }
  for (const auto& [name, target] : {std::pair{"total", &s.total},
                                     std::pair{"idle_gpu", &s.idle_gpu},
                                     std::pair{"estimate", &s.estimate}}) {
    if (!value.contains(name)) return std::unexpected(invalid(name, "is missing"));
    auto f = decode_figure(value[name], name);
    if (!f) return std::unexpected(f.error());
    *target = *f;
  }
  return s;
}

}  // namespace jt::store

namespace jt::store {

std::optional<double> estimate_relative_error(const JobSummary& s) {
  if (!s.estimate.energy_j || !s.total.energy_j || *s.total.energy_j <= 0.0) return std::nullopt;
  return (*s.estimate.energy_j - *s.total.energy_j) / *s.total.energy_j;
}

std::optional<double> idle_gpu_share(const JobSummary& s) {
  if (!s.idle_gpu.energy_j || !s.total.energy_j || *s.total.energy_j <= 0.0) return std::nullopt;
  return *s.idle_gpu.energy_j / *s.total.energy_j;
}

}  // namespace jt::store
