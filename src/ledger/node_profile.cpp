#include "ledger/node_profile.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/clock.hpp"
#include "core/sysfs_file.hpp"

namespace jt {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kSchemaName = "jouletrace.node-profile";
// The name profiles carried before every format was named "jouletrace.<format>" (same fields,
// same version 1). Profiles written then sit in /var/lib/jouletrace and users' state
// directories, so it is still read; it is never written.
constexpr const char* kLegacySchemaName = "jouletrace-node-profile";

template <typename T>
json fact_to_json(const Fact<T>& fact) {
  if (fact.value) return json{{"value", *fact.value}};
  return json{{"value", nullptr}, {"unknown_reason", fact.unknown_reason}};
}

json channel_to_json(const InventoryChannel& c) {
  return {{"id", c.id},
          {"domain", to_string(c.domain)},
          {"device", c.device},
          {"provenance", c.provenance}};
}

// Reads fields of one JSON object; the first problem is kept, with the path of the field, and
// later reads return defaults so that the caller can finish and report that one problem.
class FieldReader {
 public:
  FieldReader(const json& object, std::string where, std::string* error)
      : object_(object), where_(std::move(where)), error_(error) {
    if (!object_.is_object()) fail(where_, "is not an object");
  }

  const json* get(const char* key, bool required = true) {
    if (!ok() || !object_.is_object()) return nullptr;
    const auto it = object_.find(key);
    if (it == object_.end()) {
      if (required) fail(path(key), "is missing");
      return nullptr;
    }
    return &*it;
  }
  std::string string(const char* key) {
    const json* v = get(key);
    if (v == nullptr) return {};
    if (!v->is_string()) {
      fail(path(key), "is not a string");
      return {};
    }
    return v->get<std::string>();
  }
  double number(const char* key, double min, double max) {
    const json* v = get(key);
    if (v == nullptr) return 0.0;
    if (!v->is_number()) {
      fail(path(key), "is not a number");
      return 0.0;
    }
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < min || d > max) {
      fail(path(key), fmt::format("is {} (allowed: {} to {})", d, min, max));
      return 0.0;
    }
    return d;
  }
  std::int64_t integer(const char* key, std::int64_t min, std::int64_t max) {
    const json* v = get(key);
    if (v == nullptr) return 0;
    if (!v->is_number_integer()) {
      fail(path(key), "is not an integer");
      return 0;
    }
    const auto i = v->is_number_unsigned()
                       ? static_cast<std::int64_t>(std::min<std::uint64_t>(
                             v->get<std::uint64_t>(),
                             static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())))
                       : v->get<std::int64_t>();
    if (i < min || i > max) {
      fail(path(key), fmt::format("is {} (allowed: {} to {})", i, min, max));
      return 0;
    }
    return i;
  }
  std::optional<double> optional_number(const char* key, double min, double max) {
    const json* v = get(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    return number(key, min, max);
  }
  std::vector<std::string> strings(const char* key) {
    std::vector<std::string> out;
    const json* v = get(key);
    if (v == nullptr) return out;
    if (!v->is_array()) {
      fail(path(key), "is not an array");
      return out;
    }
    for (const auto& item : *v) {
      if (!item.is_string()) {
        fail(path(key), "holds something that is not a string");
        return {};
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }
  const json* array(const char* key) {
    const json* v = get(key);
    if (v != nullptr && !v->is_array()) {
      fail(path(key), "is not an array");
      return nullptr;
    }
    return v;
  }
  Domain domain(const char* key) {
    const std::string text = string(key);
    if (!ok()) return Domain::kOther;
    const auto d = domain_from_string(text);
    if (!d) fail(path(key), "is not a known domain: '" + text + "'");
    return d.value_or(Domain::kOther);
  }
  template <typename T>
  Fact<T> fact(const char* key, T min, T max) {
    const json* v = get(key);
    if (v == nullptr) return {};
    FieldReader inner(*v, path(key), error_);
    const json* value = inner.get("value");
    if (value == nullptr) return {};
    if (value->is_null()) {
      std::string why = inner.string("unknown_reason");
      if (ok() && why.empty()) fail(path(key), "is unknown without a reason");
      return Fact<T>::unknown(std::move(why));
    }
    if constexpr (std::is_same_v<T, std::string>) {
      (void)min;
      (void)max;
      return Fact<T>::known(inner.string("value"));
    } else {
      return Fact<T>::known(static_cast<T>(
          inner.integer("value", static_cast<std::int64_t>(min), static_cast<std::int64_t>(max))));
    }
  }

  bool ok() const { return error_->empty(); }
  std::string path(const char* key) const { return where_ + "." + key; }
  void fail(const std::string& where, const std::string& what) {
    if (error_->empty()) *error_ = where + " " + what;
  }

 private:
  const json& object_;
  std::string where_;
  std::string* error_;
};

InventoryChannel channel_from_json(const json& j, const std::string& where, std::string* error) {
  FieldReader r(j, where, error);
  InventoryChannel c;
  c.id = r.string("id");
  c.domain = r.domain("domain");
  c.device = r.string("device");
  c.provenance = r.string("provenance");
  if (r.ok() && c.id.empty()) r.fail(where + ".id", "is empty");
  return c;
}

std::vector<InventoryChannel> channels_from_json(FieldReader& r, const char* key,
                                                 std::string* error) {
  std::vector<InventoryChannel> out;
  const json* list = r.array(key);
  if (list == nullptr) return out;
  for (std::size_t i = 0; i < list->size() && r.ok(); ++i) {
    out.push_back(
        channel_from_json((*list)[i], r.path(key) + "[" + std::to_string(i) + "]", error));
  }
  return out;
}

const char* method_of(const ChannelInfo* info) {
  if (info == nullptr) return "unknown";
  return info->quantity == Quantity::kEnergyCounter ? "counter" : "power-integrated";
}

// Energy between two stored timeline points, or nullopt when the points are unusable.
std::optional<double> power_between(const ChannelSeries& s, std::size_t a, std::size_t b) {
  if (b <= a || b >= s.t_ns.size()) return std::nullopt;
  const double dt = ns_to_s(s.t_ns[b] - s.t_ns[a]);
  if (dt <= 0.0) return std::nullopt;
  return (s.energy_j[b] - s.energy_j[a]) / dt;
}

}  // namespace

std::string to_iso8601(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return "unknown";
  return buf;
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  if (in.fail() || in.peek() != std::char_traits<char>::eof()) return std::nullopt;
  const std::time_t t = ::timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

json to_json(const NodeProfile& profile) {
  const NodeInventory& inv = profile.inventory;
  json gpus = json::array();
  for (const auto& g : inv.gpus) {
    gpus.push_back({{"index", g.index},
                    {"channel_id", g.channel_id},
                    {"uuid", g.uuid},
                    {"model", g.model},
                    {"power_limit_w", g.power_limit_w ? json(*g.power_limit_w) : json(nullptr)},
                    {"provenance", g.provenance}});
  }
  json meters = json::array();
  for (const auto& m : inv.node_meters) meters.push_back(channel_to_json(m));
  json channels = json::array();
  for (const auto& c : inv.channels) channels.push_back(channel_to_json(c));

  json out = {{"schema", kSchemaName},
              {"version", NodeProfile::kSchemaVersion},
              {"created_at", profile.created_at},
              {"node",
               {{"hostname", fact_to_json(inv.hostname)},
                {"cpu_model", fact_to_json(inv.cpu_model)},
                {"sockets", fact_to_json(inv.sockets)},
                {"cores", fact_to_json(inv.cores)},
                {"threads", fact_to_json(inv.threads)},
                {"memory_bytes", fact_to_json(inv.memory_bytes)},
                {"gpus", gpus},
                {"node_meters", meters},
                {"channels", channels},
                {"notes", inv.notes}}}};
  if (profile.calibrated_at.empty()) {
    out["calibration"] = nullptr;
  } else {
    json baselines = json::array();
    for (const auto& b : profile.baselines) {
      baselines.push_back({{"channel_id", b.channel_id},
                           {"domain", to_string(b.domain)},
                           {"device", b.device},
                           {"idle_power_w", b.idle_power_w},
                           {"uncertainty_w", b.uncertainty_w},
                           {"drift_w", b.drift_w},
                           {"duration_s", b.duration_s},
                           {"settle_s", b.settle_s},
                           {"measured_at", b.measured_at},
                           {"method", b.method},
                           {"samples", b.samples}});
    }
    out["calibration"] = {{"calibrated_at", profile.calibrated_at},
                          {"calibrated_on", profile.calibrated_on},
                          {"warnings", profile.calibration_warnings},
                          {"baselines", baselines}};
  }
  return out;
}

Result<NodeProfile> profile_from_json(const json& j) {
  std::string error;
  FieldReader top(j, "profile", &error);
  NodeProfile p;
  const std::string schema = top.string("schema");
  if (top.ok() && schema != kSchemaName && schema != kLegacySchemaName) {
    top.fail("profile.schema", fmt::format("is '{}', not '{}' (version {})", schema, kSchemaName,
                                           NodeProfile::kSchemaVersion));
  }
  const auto version = top.integer("version", 1, 1000);
  if (top.ok() && version != NodeProfile::kSchemaVersion) {
    top.fail("profile.version", fmt::format("is {}; this jouletrace reads {} version {}", version,
                                            kSchemaName, NodeProfile::kSchemaVersion));
  }
  p.created_at = top.string("created_at");
  if (const json* node = top.get("node"); node != nullptr) {
    FieldReader n(*node, "profile.node", &error);
    NodeInventory& inv = p.inventory;
    inv.hostname = n.fact<std::string>("hostname", {}, {});
    inv.cpu_model = n.fact<std::string>("cpu_model", {}, {});
    inv.sockets = n.fact<int>("sockets", 1, 4096);
    inv.cores = n.fact<int>("cores", 1, 1 << 24);
    inv.threads = n.fact<int>("threads", 1, 1 << 24);
    inv.memory_bytes = n.fact<std::uint64_t>("memory_bytes", 1, std::uint64_t{1} << 62);
    if (const json* gpus = n.array("gpus"); gpus != nullptr) {
      for (std::size_t i = 0; i < gpus->size() && n.ok(); ++i) {
        FieldReader g((*gpus)[i], "profile.node.gpus[" + std::to_string(i) + "]", &error);
        GpuInventory gpu;
        gpu.index = static_cast<int>(g.integer("index", 0, 1 << 20));
        gpu.channel_id = g.string("channel_id");
        gpu.uuid = g.string("uuid");
        gpu.model = g.string("model");
        gpu.power_limit_w = g.optional_number("power_limit_w", 0.0, 1e6);
        gpu.provenance = g.string("provenance");
        inv.gpus.push_back(std::move(gpu));
      }
    }
    inv.node_meters = channels_from_json(n, "node_meters", &error);
    inv.channels = channels_from_json(n, "channels", &error);
    inv.notes = n.strings("notes");
  }
  if (const json* cal = top.get("calibration"); cal != nullptr && !cal->is_null()) {
    FieldReader c(*cal, "profile.calibration", &error);
    p.calibrated_at = c.string("calibrated_at");
    if (c.ok() && !parse_iso8601(p.calibrated_at)) {
      c.fail("profile.calibration.calibrated_at", "is not an ISO 8601 UTC time");
    }
    p.calibrated_on = c.string("calibrated_on");
    p.calibration_warnings = c.strings("warnings");
    if (const json* list = c.array("baselines"); list != nullptr) {
      std::set<std::string> seen;
      for (std::size_t i = 0; i < list->size() && c.ok(); ++i) {
        const std::string where = "profile.calibration.baselines[" + std::to_string(i) + "]";
        FieldReader b((*list)[i], where, &error);
        IdleBaseline base;
        base.channel_id = b.string("channel_id");
        base.domain = b.domain("domain");
        base.device = b.string("device");
        base.idle_power_w = b.number("idle_power_w", 0.0, 1e6);
        base.uncertainty_w = b.number("uncertainty_w", 0.0, 1e6);
        base.drift_w = b.number("drift_w", -1e6, 1e6);
        base.duration_s = b.number("duration_s", 0.0, 1e7);
        base.settle_s = b.number("settle_s", 0.0, 1e7);
        base.measured_at = b.string("measured_at");
        base.method = b.string("method");
        base.samples = static_cast<std::uint64_t>(b.integer("samples", 0, INT64_MAX));
        if (b.ok() && (base.channel_id.empty() || !seen.insert(base.channel_id).second)) {
          b.fail(where + ".channel_id", "is empty or repeated: '" + base.channel_id + "'");
        }
        if (b.ok() && base.duration_s <= 0.0) b.fail(where + ".duration_s", "is not positive");
        p.baselines.push_back(std::move(base));
      }
    }
  }
  if (!error.empty()) {
    return make_error(ErrorKind::kInvalidData, "malformed node profile: " + error,
                      "run `jouletrace calibrate` to write a new one");
  }
  return p;
}

Result<NodeProfile> load_profile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return std::unexpected(error_from_errno(err == 0 ? ENOENT : err, path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  // Without exceptions: a truncated or hand-edited file is a message, never a crash.
  const json j = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return make_error(ErrorKind::kInvalidData, path.string() + " is not valid JSON",
                      "run `jouletrace calibrate` to write a new profile");
  }
  auto profile = profile_from_json(j);
  if (!profile) {
    return make_error(profile.error().kind, path.string() + ": " + profile.error().message,
                      profile.error().hint);
  }
  return profile;
}

Result<void> save_profile(const fs::path& path, const NodeProfile& profile) {
  if (path.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      return make_error(ErrorKind::kIo,
                        "cannot create " + path.parent_path().string() + ": " + ec.message());
    }
  }
  return write_file_atomically(
      path, to_json(profile).dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

Result<ProfileLocations> profile_locations(const std::string& hostname) {
  const std::string file =
      "profile-" + (hostname.empty() ? std::string("unknown") : hostname) + ".json";
  const fs::path system_wide = fs::path("/var/lib/jouletrace") / file;
  ProfileLocations loc;
  if (const char* explicit_path = std::getenv("JOULETRACE_PROFILE");
      explicit_path != nullptr && *explicit_path != '\0') {
    loc.write = explicit_path;
    loc.read = {loc.write};
    return loc;
  }
  if (::geteuid() == 0) {
    loc.write = system_wide;
    loc.read = {loc.write};
    return loc;
  }
  const char* state = std::getenv("XDG_STATE_HOME");
  const char* home = std::getenv("HOME");
  // The XDG base-directory rule: a relative $XDG_STATE_HOME is invalid and ignored.
  if (state != nullptr && *state == '/') {
    loc.write = fs::path(state) / "jouletrace" / file;
  } else if (home != nullptr && *home == '/') {
    loc.write = fs::path(home) / ".local/state/jouletrace" / file;
  } else {
    return make_error(ErrorKind::kNotFound,
                      "no place for the node profile: neither $XDG_STATE_HOME nor $HOME is an "
                      "absolute path",
                      "set JOULETRACE_PROFILE or pass --profile FILE");
  }
  loc.read = {loc.write, system_wide};
  return loc;
}

std::optional<fs::path> find_profile(const ProfileLocations& locations) {
  for (const auto& p : locations.read) {
    std::error_code ec;
    if (fs::exists(p, ec)) return p;
  }
  return std::nullopt;
}

BaselineContext current_baseline_context() {
  BaselineContext context;
  context.hostname = read_hostname("/proc").value.value_or("");
  context.now = std::chrono::system_clock::now();
  return context;
}

void apply_baselines(WindowResult& window, const NodeProfile& profile,
                     std::vector<std::string>* warnings) {
  apply_baselines(window, profile, current_baseline_context(), warnings);
}

void apply_baselines(WindowResult& window, const NodeProfile& profile,
                     const BaselineContext& context, std::vector<std::string>* warnings) {
  auto warn = [&](std::string text) {
    if (warnings != nullptr) warnings->push_back(std::move(text));
  };
  if (profile.baselines.empty()) {
    warn(
        "the node profile has no idle baselines (run `jouletrace calibrate`): energy is not "
        "split into idle and dynamic");
    return;
  }
  if (!profile.calibrated_on.empty() && !context.hostname.empty() &&
      profile.calibrated_on != context.hostname) {
    warn(
        fmt::format("the idle baselines were measured on '{}', not on this node ('{}'): the "
                    "idle/dynamic split may not describe this hardware",
                    profile.calibrated_on, context.hostname));
  }
  if (const auto when = parse_iso8601(profile.calibrated_at)) {
    const double age_days = std::chrono::duration<double>(context.now - *when).count() / 86400.0;
    if (age_days > context.max_age_days) {
      warn(
          fmt::format("the idle baselines are {:.0f} days old (calibrated {}): firmware, "
                      "drivers or cooling may have changed since; consider recalibrating",
                      age_days, profile.calibrated_at));
    }
  }

  std::map<std::string, const IdleBaseline*> by_id;
  for (const auto& b : profile.baselines) by_id.emplace(b.channel_id, &b);
  std::set<std::string> measured_ids;
  std::vector<std::string> without_baseline;
  for (auto& c : window.components) {
    if (c.measured.method == Method::kModel || !c.measured.energy_j) continue;
    measured_ids.insert(c.id);
    const auto it = by_id.find(c.id);
    if (it == by_id.end()) {
      without_baseline.push_back(c.id);
      continue;
    }
    const IdleBaseline& base = *it->second;
    // The energy leaves out gaps the sampler could not bridge; the idle part must span the
    // same time, or dynamic energy would absorb the idle power of the gaps.
    const double measured_s = std::max(0.0, c.measured.covered_s - c.gap_s);
    c.idle_power_w = base.idle_power_w;
    c.idle_energy_j = base.idle_power_w * measured_s;
    c.dynamic_energy_j = *c.measured.energy_j - c.idle_energy_j;
    if (c.dynamic_energy_j < 0.0) {
      // The measurement and the baseline are independent: their uncertainties add in
      // quadrature.
      const double tolerance_j =
          std::hypot(c.measured.uncertainty.total_j, base.uncertainty_w * measured_s);
      if (-c.dynamic_energy_j <= tolerance_j) {
        warn(
            fmt::format("{}: dynamic energy {:.3f} J is below zero but within the uncertainty "
                        "(±{:.3f} J): the device stayed at its idle power",
                        c.id, c.dynamic_energy_j, tolerance_j));
      } else {
        warn(
            fmt::format("{}: measured {:.3f} W on average, below its idle baseline of {:.3f} W "
                        "beyond the uncertainty: the baseline looks stale (recalibrate); "
                        "dynamic energy {:.3f} J is reported as computed",
                        c.id, c.avg_power_w, base.idle_power_w, c.dynamic_energy_j));
      }
    }
  }
  std::vector<std::string> missing;
  for (const auto& b : profile.baselines) {
    if (!measured_ids.contains(b.channel_id)) missing.push_back(b.channel_id);
  }
  if (!without_baseline.empty() || !missing.empty()) {
    std::string text = "the channels changed since calibration:";
    if (!without_baseline.empty()) {
      text += fmt::format(" no baseline for {};", fmt::join(without_baseline, ", "));
    }
    if (!missing.empty()) text += fmt::format(" not measured now: {};", fmt::join(missing, ", "));
    text.back() = ' ';
    text += "(recalibrate to cover them)";
    warn(std::move(text));
  }
}

std::vector<IdleBaseline> baselines_from_window(const WindowResult& window,
                                                const std::vector<ChannelInfo>& channels,
                                                const std::vector<ChannelSeries>& series,
                                                const CalibrationSettings& settings,
                                                std::vector<std::string>* warnings) {
  auto warn = [&](std::string text) {
    if (warnings != nullptr) warnings->push_back(std::move(text));
  };
  std::vector<IdleBaseline> out;
  for (const auto& c : window.components) {
    if (c.measured.method == Method::kModel) continue;
    const ChannelInfo* info = nullptr;
    const ChannelSeries* s = nullptr;
    for (std::size_t i = 0; i < channels.size(); ++i) {
      if (channels[i].id != c.id) continue;
      info = &channels[i];
      if (i < series.size()) s = &series[i];
    }
    const double measured_s = c.measured.covered_s - c.gap_s;
    if (c.lost || !c.measured.energy_j || measured_s <= 0.0) {
      warn(fmt::format("{}: no idle baseline (the channel {})", c.id,
                       c.lost ? "was lost during calibration" : "gave too few readings"));
      continue;
    }
    IdleBaseline b;
    b.channel_id = c.id;
    b.domain = c.domain;
    b.device = c.device;
    b.idle_power_w = *c.measured.energy_j / measured_s;
    b.uncertainty_w = c.measured.uncertainty.total_j / measured_s;
    b.duration_s = measured_s;
    b.settle_s = settings.settle_s;
    b.measured_at = settings.measured_at;
    b.method = method_of(info);
    b.samples = c.measured.samples;
    if (b.idle_power_w < 0.0) {
      warn(fmt::format("{}: negative idle power {:.3f} W; no baseline kept", c.id, b.idle_power_w));
      continue;
    }
    // Thermal stability (docs/ACCURACY.md A5, Zeus): the two halves of the window should agree.
    if (s != nullptr && s->t_ns.size() >= 3) {
      const std::size_t mid = s->t_ns.size() / 2;
      const auto first = power_between(*s, 0, mid);
      const auto second = power_between(*s, mid, s->t_ns.size() - 1);
      if (first && second) {
        b.drift_w = *second - *first;
        const double allowed = std::max(3.0 * b.uncertainty_w, 0.05 * b.idle_power_w);
        if (std::abs(b.drift_w) > allowed) {
          warn(
              fmt::format("{}: power moved from {:.2f} W to {:.2f} W between the halves of the "
                          "calibration: the node was not steady (still cooling down, or "
                          "something ran); a longer --settle helps",
                          c.id, *first, *second));
        }
      }
    }
    if (c.activity_max_pct && *c.activity_max_pct > 1.0) {
      warn(
          fmt::format("{}: the device was busy during calibration (up to {:.0f} % "
                      "utilisation): its baseline is above its idle power",
                      c.id, *c.activity_max_pct));
    }
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace jt
