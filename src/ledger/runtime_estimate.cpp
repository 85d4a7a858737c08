// SPDX-License-Identifier: BSD-3-Clause
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

#include "core/json_reader.hpp"
#include "core/sysfs_file.hpp"

namespace jt {

namespace fs = std::filesystem;

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

// A string that must say something: a name, a rating, a URL.
std::string non_empty_string(const JsonReader& field) {
  std::string text = field.as_string();
  if (text.empty()) field.fail("is empty");
  return text;
}

// The format's name and version. A file that does not say what it is gets a message naming
// what was expected; the old name carries no version.
void check_tdp_format(const JsonReader& top) {
  const auto schema = top.optional_member("schema");
  if (!schema || !schema->value().is_string()) {
    top.fail(fmt::format("\"schema\" is missing or not a string (expected \"{}\")", kTdpSchema));
    return;
  }
  const std::string name = schema->as_string();
  const auto version = top.optional_member("version");
  if (name == kLegacyTdpSchema) {
    if (version) {
      top.fail(fmt::format("the old schema name \"{}\" carries no \"version\"; name it \"{}\"",
                           kLegacyTdpSchema, kTdpSchema));
    }
    return;
  }
  if (name != kTdpSchema) {
    schema->fail(
        fmt::format("is \"{}\", not \"{}\" (version {})", name, kTdpSchema, kTdpSchemaVersion));
  } else if (!version || !version->value().is_number_integer()) {
    top.fail(
        fmt::format("\"version\" is missing or not an integer (expected {})", kTdpSchemaVersion));
  } else if (version->value() != kTdpSchemaVersion) {
    version->fail(fmt::format("is {}; this jouletrace reads {} version {}", version->value().dump(),
                              kTdpSchema, kTdpSchemaVersion));
  }
}

HardwareKind device_kind(const JsonReader& entry) {
  const JsonReader field = entry.member("kind");
  const std::string kind = non_empty_string(field);
  if (kind != "cpu" && kind != "gpu") field.fail("is '" + kind + "', not cpu or gpu");
  return kind == "gpu" ? HardwareKind::kGpu : HardwareKind::kCpu;
}

RatedDevice rated_device(const JsonReader& entry) {
  RatedDevice d;
  d.kind = device_kind(entry);
  d.model = non_empty_string(entry.member("model"));
  if (const auto aliases = entry.optional_member("aliases")) {
    for (const JsonReader& alias : aliases->as_array()) {
      d.aliases.push_back(alias.as_string());
      if (d.aliases.back().empty()) alias.fail("is empty");
    }
  }
  const JsonReader watts = entry.member("rated_power_w");
  d.rated_power_w = watts.as_number();
  if (d.rated_power_w <= 0.0 || d.rated_power_w > kMaxRatedPowerW) {
    watts.fail(fmt::format("is {}, not a power in (0, {}] W", d.rated_power_w, kMaxRatedPowerW));
  }
  d.rating = non_empty_string(entry.member("rating"));
  const JsonReader source = entry.member("source");
  d.source = non_empty_string(source);
  if (!d.source.starts_with("https://")) source.fail("is not an https URL");
  return d;
}

// Each name of `d` (model and aliases) normalised, so that no name can match two devices.
void claim_names(const RatedDevice& d, const JsonReader& entry,
                 std::map<std::pair<HardwareKind, std::string>, std::string>& names) {
  std::vector<std::string> all = d.aliases;
  all.push_back(d.model);
  for (const auto& n : all) {
    const std::string key = normalise_model_name(n);
    if (key.empty()) {
      entry.fail(fmt::format("names '{}', which normalises to nothing", n));
      return;
    }
    auto [it, inserted] = names.emplace(std::make_pair(d.kind, key), d.model);
    if (!inserted && it->second != d.model) {
      entry.fail(
          fmt::format("names '{}', which is also a name of '{}': the match would be "
                      "ambiguous",
                      n, it->second));
      return;
    }
  }
}

}  // namespace

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
  constexpr const char* kHint = "fix the file or point --tdp-file at a valid one";
  const auto j = parse_json(json_text, origin);
  if (!j) return make_error(j.error().kind, j.error().message, kHint);
  const JsonReader top = JsonReader(*j, "").as_object();
  check_tdp_format(top);
  const JsonReader devices = top.member("devices");
  const std::vector<JsonReader> entries = devices.as_array();
  if (entries.empty()) devices.fail("is empty");
  TdpTable table;
  table.origin_ = origin;
  std::map<std::pair<HardwareKind, std::string>, std::string> names;
  for (const JsonReader& entry : entries) {
    if (!top.ok()) break;
    RatedDevice d = rated_device(entry);
    claim_names(d, entry, names);
    table.devices_.push_back(std::move(d));
  }
  if (!top.ok()) return make_error(ErrorKind::kInvalidData, origin + ": " + top.problem(), kHint);
  return table;
}

Result<TdpTable> TdpTable::load(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(error_from_errno(errno == 0 ? ENOENT : errno, path));
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path.string());
}

const RatedDevice* TdpTable::find(HardwareKind kind, std::string_view name) const {
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
    out.push_back({HardwareKind::kCpu, "CPU (socket count unknown)", "", std::nullopt});
  }
  for (int s = 0; s < sockets; ++s) {
    out.push_back({HardwareKind::kCpu, "CPU socket " + std::to_string(s), model, std::nullopt});
  }
  for (const auto& g : inventory.gpus) {
    std::string label = "GPU " + std::to_string(g.index);
    if (!g.uuid.empty()) label += " (" + g.uuid + ")";
    out.push_back(
        {HardwareKind::kGpu, label, g.model, g.power_limit_w, g.channel_id, g.power_limit_source});
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
    est.warnings.push_back(Warning{"estimate-inputs-invalid",
                                   "runtime-estimate",
                                   {{"runtime_s", runtime_s}, {"pue", pue}},
                                   {}});
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
    } else if (device.kind == HardwareKind::kGpu && device.power_limit_w &&
               *device.power_limit_w > 0.0) {
      d.rated_power_w = *device.power_limit_w;
      d.rated_from = fmt::format("{} (model not in the data file)",
                                 device.power_limit_source.empty() ? "NVML enforced power limit"
                                                                   : device.power_limit_source);
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
