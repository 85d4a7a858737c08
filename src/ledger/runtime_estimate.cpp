#include "ledger/runtime_estimate.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/sysfs_file.hpp"

namespace jt {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kTdpSchema = "jouletrace.rated-power";
constexpr int kTdpSchemaVersion = 1;
// The form before every format carried "schema" and "version" (version 1, the same fields):
// rated-power files users copied and extended for --tdp-file may still say it, so it is read.
constexpr const char* kLegacyTdpSchema = "jouletrace-tdp/1";
constexpr double kMaxRatedPowerW = 5000.0;  // far above any single CPU or GPU sold today

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// "11th", "4th", "2nd": the generation prefix of Intel client names.
bool is_ordinal(std::string_view s) {
  if (s.size() < 3) return false;
  const std::string_view suffix = s.substr(s.size() - 2);
  return is_digits(s.substr(0, s.size() - 2)) &&
         (suffix == "th" || suffix == "st" || suffix == "nd" || suffix == "rd");
}

Result<std::vector<std::string>> string_list(const json& j, const std::string& where) {
  std::vector<std::string> out;
  if (!j.is_array()) return make_error(ErrorKind::kInvalidData, where + " is not an array");
  for (const auto& item : j) {
    if (!item.is_string() || item.get<std::string>().empty()) {
      return make_error(ErrorKind::kInvalidData, where + " holds an empty or non-string name");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::string> required_string(const json& entry, const char* key, const std::string& where) {
  const auto it = entry.find(key);
  if (it == entry.end() || !it->is_string() || it->get<std::string>().empty()) {
    return make_error(ErrorKind::kInvalidData,
                      where + "." + key + " is missing, empty or not a string");
  }
  return it->get<std::string>();
}

}  // namespace

const char* to_string(DeviceKind kind) { return kind == DeviceKind::kCpu ? "cpu" : "gpu"; }

std::string normalise_model_name(std::string_view name) {
  std::string text;
  for (char c : name) text += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* mark : {"(r)", "(tm)", "(c)"}) {
    for (auto pos = text.find(mark); pos != std::string::npos; pos = text.find(mark)) {
      text.replace(pos, std::string_view(mark).size(), " ");
    }
  }
  // The clock after '@' is the base frequency, not part of the model.
  if (const auto at = text.find('@'); at != std::string::npos) text.resize(at);
  // '+' is part of a model (Xeon Platinum 8480+ differs from 8480); other punctuation is not.
  for (char& c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+') c = ' ';
  }
  std::vector<std::string> tokens;
  std::istringstream in(text);
  for (std::string t; in >> t;) tokens.push_back(t);
  std::vector<std::string> kept;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (t == "intel" || t == "amd" || t == "nvidia" || t == "processor" || t == "cpu") continue;
    if (is_ordinal(t) && i + 1 < tokens.size() && tokens[i + 1] == "gen") {
      ++i;
      continue;
    }
    // "64-Core Processor": the core count AMD appends; "Core i7" keeps its "core".
    if (is_digits(t) && i + 1 < tokens.size() && tokens[i + 1] == "core") {
      ++i;
      continue;
    }
    kept.push_back(t);
  }
  std::string out;
  for (const auto& t : kept) {
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

Result<TdpTable> TdpTable::parse(std::string_view json_text, const std::string& origin) {
  const json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  auto fail = [&](const std::string& what) {
    return make_error(ErrorKind::kInvalidData, origin + ": " + what,
                      "fix the file or point --tdp-file at a valid one");
  };
  if (j.is_discarded()) return fail("not valid JSON");
  if (!j.is_object()) return fail("the top level is not an object");
  const auto schema = j.find("schema");
  if (schema == j.end() || !schema->is_string()) {
    return fail(fmt::format("\"schema\" is missing or not a string (expected \"{}\")", kTdpSchema));
  }
  if (*schema == kLegacyTdpSchema && j.contains("version")) {
    return fail(fmt::format("the old schema name \"{}\" carries no \"version\"; name it \"{}\"",
                            kLegacyTdpSchema, kTdpSchema));
  }
  if (*schema != kLegacyTdpSchema) {
    if (*schema != kTdpSchema) {
      return fail(fmt::format("schema is \"{}\", not \"{}\" (version {})",
                              schema->get<std::string>(), kTdpSchema, kTdpSchemaVersion));
    }
    const auto version = j.find("version");
    if (version == j.end() || !version->is_number_integer()) {
      return fail(
          fmt::format("\"version\" is missing or not an integer (expected {})", kTdpSchemaVersion));
    }
    if (*version != kTdpSchemaVersion) {
      return fail(fmt::format("version is {}; this jouletrace reads {} version {}", version->dump(),
                              kTdpSchema, kTdpSchemaVersion));
    }
  }
  if (!j.contains("devices") || !j["devices"].is_array() || j["devices"].empty()) {
    return fail("devices is missing, empty or not an array");
  }
  TdpTable table;
  table.origin_ = origin;
  std::map<std::pair<DeviceKind, std::string>, std::string> names;
  for (std::size_t i = 0; i < j["devices"].size(); ++i) {
    const json& e = j["devices"][i];
    const std::string where = "devices[" + std::to_string(i) + "]";
    if (!e.is_object()) return fail(where + " is not an object");
    RatedDevice d;
    auto kind = required_string(e, "kind", where);
    if (!kind) return fail(kind.error().message);
    if (*kind == "cpu") {
      d.kind = DeviceKind::kCpu;
    } else if (*kind == "gpu") {
      d.kind = DeviceKind::kGpu;
    } else {
      return fail(where + ".kind is '" + *kind + "', not cpu or gpu");
    }
    auto model = required_string(e, "model", where);
    if (!model) return fail(model.error().message);
    d.model = *model;
    if (e.contains("aliases")) {
      auto aliases = string_list(e["aliases"], where + ".aliases");
      if (!aliases) return fail(aliases.error().message);
      d.aliases = *aliases;
    }
    const auto watts = e.find("rated_power_w");
    if (watts == e.end() || !watts->is_number() || !std::isfinite(watts->get<double>()) ||
        watts->get<double>() <= 0.0 || watts->get<double>() > kMaxRatedPowerW) {
      return fail(where + ".rated_power_w is missing or not a power in (0, 5000] W");
    }
    d.rated_power_w = watts->get<double>();
    auto rating = required_string(e, "rating", where);
    if (!rating) return fail(rating.error().message);
    d.rating = *rating;
    auto source = required_string(e, "source", where);
    if (!source) return fail(source.error().message);
    if (source->rfind("https://", 0) != 0) return fail(where + ".source is not an https URL");
    d.source = *source;
    std::vector<std::string> all = d.aliases;
    all.push_back(d.model);
    for (const auto& n : all) {
      const std::string key = normalise_model_name(n);
      if (key.empty()) {
        return fail(fmt::format("{}: the name '{}' normalises to nothing", where, n));
      }
      auto [it, inserted] = names.emplace(std::make_pair(d.kind, key), d.model);
      if (!inserted && it->second != d.model) {
        return fail(fmt::format("{}: '{}' is also a name of '{}'; the match would be ambiguous",
                                where, n, it->second));
      }
    }
    table.devices_.push_back(std::move(d));
  }
  return table;
}

Result<TdpTable> TdpTable::load(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(error_from_errno(errno == 0 ? ENOENT : errno, path));
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path.string());
}

const RatedDevice* TdpTable::find(DeviceKind kind, std::string_view name) const {
  for (const auto& d : devices_) {
    if (d.kind != kind) continue;
    if (d.model == name) return &d;
    if (std::find(d.aliases.begin(), d.aliases.end(), name) != d.aliases.end()) return &d;
  }
  const std::string key = normalise_model_name(name);
  if (key.empty()) return nullptr;
  for (const auto& d : devices_) {
    if (d.kind != kind) continue;
    if (normalise_model_name(d.model) == key) return &d;
    for (const auto& a : d.aliases) {
      if (normalise_model_name(a) == key) return &d;
    }
  }
  return nullptr;
}

Result<fs::path> locate_tdp_file(const std::string& explicit_path) {
  if (!explicit_path.empty()) return fs::path(explicit_path);
  if (const char* env = std::getenv("JOULETRACE_TDP_FILE"); env != nullptr && *env != '\0') {
    return fs::path(env);
  }
  std::vector<fs::path> tried;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share/jouletrace/tdp.json";
    if (fs::exists(installed, ec)) return installed;
    tried.push_back(installed);
  }
#ifdef JOULETRACE_SOURCE_TDP_FILE
  const fs::path source_tree = JOULETRACE_SOURCE_TDP_FILE;
  if (fs::exists(source_tree, ec)) return source_tree;
  tried.push_back(source_tree);
#endif
  std::string list;
  for (const auto& p : tried) list += (list.empty() ? "" : ", ") + p.string();
  return make_error(ErrorKind::kNotFound, "no rated-power data file found (tried " + list + ")",
                    "pass --tdp-file FILE or set JOULETRACE_TDP_FILE");
}

std::vector<AllocatedDevice> all_devices(const NodeInventory& inventory) {
  std::vector<AllocatedDevice> out;
  const int sockets = inventory.sockets.value.value_or(0);
  const std::string model = inventory.cpu_model.value.value_or("");
  if (sockets == 0) {
    // The socket count is unknown: one entry that says so, rather than no CPU at all.
    // Its model is left out so that it gets no rating: one rating for an unknown number of
    // sockets would make a partial estimate look complete.
    out.push_back({DeviceKind::kCpu, "CPU (socket count unknown)", "", std::nullopt});
  }
  for (int s = 0; s < sockets; ++s) {
    out.push_back({DeviceKind::kCpu, "CPU socket " + std::to_string(s), model, std::nullopt});
  }
  for (const auto& g : inventory.gpus) {
    std::string label = "GPU " + std::to_string(g.index);
    if (!g.uuid.empty()) label += " (" + g.uuid + ")";
    out.push_back({DeviceKind::kGpu, label, g.model, g.power_limit_w, g.channel_id});
  }
  return out;
}

RuntimeEstimate estimate_from_runtime(const std::vector<AllocatedDevice>& devices,
                                      const TdpTable* table, double runtime_s, double pue,
                                      const std::optional<MeasuredEnergy>& measured) {
  RuntimeEstimate est;
  est.runtime_s = runtime_s;
  est.pue = pue;
  est.measured = measured;
  if (table != nullptr) est.tdp_origin = table->origin();
  const bool inputs_ok =
      std::isfinite(runtime_s) && runtime_s >= 0.0 && std::isfinite(pue) && pue >= 1.0;
  if (!inputs_ok) {
    est.warnings.push_back(fmt::format(
        "no runtime-based estimate: runtime {} s and PUE {} must be finite, runtime >= 0, "
        "PUE >= 1",
        runtime_s, pue));
  }
  std::size_t unknown = 0;
  for (const auto& device : devices) {
    DeviceEstimate d;
    d.device = device;
    const RatedDevice* rated = table != nullptr ? table->find(device.kind, device.model) : nullptr;
    if (rated != nullptr) {
      d.rated_power_w = rated->rated_power_w;
      d.rated_from = fmt::format("data file ({} {}, {}): {}", rated->model, rated->rating,
                                 est.tdp_origin, rated->source);
    } else if (device.kind == DeviceKind::kGpu && device.power_limit_w &&
               *device.power_limit_w > 0.0) {
      d.rated_power_w = *device.power_limit_w;
      d.rated_from = "NVML enforced power limit (model not in the data file)";
    } else {
      d.unknown_reason = device.model.empty()
                             ? std::string("the model is unknown")
                             : fmt::format("'{}' is not in the data file{}", device.model,
                                           table == nullptr ? " (no data file loaded)" : "");
      ++unknown;
    }
    if (d.rated_power_w && inputs_ok) {
      d.energy_j = *d.rated_power_w * runtime_s * pue;
      est.estimate_j += *d.energy_j;
    }
    est.devices.push_back(std::move(d));
  }
  est.complete = inputs_ok && unknown == 0 && !devices.empty();
  const std::optional<double> measured_j = measured ? measured->energy.energy_j : std::nullopt;
  if (!measured_j) {
    est.relative_error_note = "nothing measured to compare with";
  } else if (!(*measured_j > 0.0) || !std::isfinite(*measured_j)) {
    est.relative_error_note =
        fmt::format("the measured energy ({} J) cannot be compared with", *measured_j);
  } else if (devices.empty()) {
    est.relative_error_note = "no device was allocated";
  } else if (!est.complete) {
    est.relative_error_note = fmt::format(
        "no comparison: {} of {} devices have no rated power, so the estimate is partial", unknown,
        devices.size());
  } else {
    // The estimate includes PUE, the measurement is what the IT equipment drew: scale both the
    // same way so that the error is the estimate's, not the facility's.
    const double facility_j = *measured_j * pue;
    est.relative_error = (est.estimate_j - facility_j) / facility_j;
    est.relative_error_note =
        pue == 1.0 ? "estimate compared with " + measured->label
                   : fmt::format("estimate compared with {} x PUE {:g}", measured->label, pue);
  }
  return est;
}

}  // namespace jt
