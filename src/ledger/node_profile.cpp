// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/node_profile.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/clock.hpp"
#include "core/json_reader.hpp"
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

// A fact's value is null exactly when it is unknown, and then its reason must say why.
std::string unknown_reason(const JsonReader& fact) {
  std::string why = fact.string("unknown_reason");
  if (why.empty()) fact.fail("is unknown without a reason");
  return why;
}

Fact<std::string> text_fact(const JsonReader& node, std::string_view key) {
  const JsonReader fact = node.object(key);
  const JsonReader value = fact.member("value");
  if (value.is_null()) return Fact<std::string>::unknown(unknown_reason(fact));
  return Fact<std::string>::known(value.as_string());
}

template <typename T>
Fact<T> count_fact(const JsonReader& node, std::string_view key, T min, T max) {
  const JsonReader fact = node.object(key);
  const JsonReader value = fact.member("value");
  if (value.is_null()) return Fact<T>::unknown(unknown_reason(fact));
  return Fact<T>::known(static_cast<T>(
      value.as_integer(static_cast<std::int64_t>(min), static_cast<std::int64_t>(max))));
}

Domain domain_of(const JsonReader& object) {
  const JsonReader field = object.member("domain");
  const std::string text = field.as_string();
  const auto domain = domain_from_string(text);
  if (!domain) field.fail("is not a known domain: '" + text + "'");
  return domain.value_or(Domain::kOther);
}

InventoryChannel channel_from_json(const JsonReader& r) {
  InventoryChannel c;
  c.id = r.string("id");
  c.domain = domain_of(r);
  c.device = r.string("device");
  c.provenance = r.string("provenance");
  if (c.id.empty()) r.member("id").fail("is empty");
  return c;
}

std::vector<InventoryChannel> channels_from_json(const JsonReader& node, std::string_view key) {
  std::vector<InventoryChannel> out;
  for (const JsonReader& channel : node.array(key)) out.push_back(channel_from_json(channel));
  return out;
}

GpuInventory gpu_from_json(const JsonReader& g) {
  GpuInventory gpu;
  gpu.index = static_cast<int>(g.integer("index", 0, 1 << 20));
  gpu.channel_id = g.string("channel_id");
  gpu.uuid = g.string("uuid");
  gpu.model = g.string("model");
  // Required, but null when the driver reported no limit.
  if (const JsonReader limit = g.member("power_limit_w"); !limit.is_null()) {
    gpu.power_limit_w = limit.as_number(0.0, 1e6);
  }
  gpu.provenance = g.string("provenance");
  return gpu;
}

NodeInventory inventory_from_json(const JsonReader& n) {
  NodeInventory inv;
  inv.hostname = text_fact(n, "hostname");
  inv.cpu_model = text_fact(n, "cpu_model");
  inv.sockets = count_fact<int>(n, "sockets", 1, 4096);
  inv.cores = count_fact<int>(n, "cores", 1, 1 << 24);
  inv.threads = count_fact<int>(n, "threads", 1, 1 << 24);
  inv.memory_bytes = count_fact<std::uint64_t>(n, "memory_bytes", 1, std::uint64_t{1} << 62);
  for (const JsonReader& gpu : n.array("gpus")) inv.gpus.push_back(gpu_from_json(gpu));
  inv.node_meters = channels_from_json(n, "node_meters");
  inv.channels = channels_from_json(n, "channels");
  inv.notes = n.strings("notes");
  return inv;
}

// `seen`: the channel ids of the baselines before this one, which it must not repeat.
IdleBaseline baseline_from_json(const JsonReader& b, std::set<std::string>& seen) {
  IdleBaseline base;
  base.channel_id = b.string("channel_id");
  base.domain = domain_of(b);
  base.device = b.string("device");
  base.idle_power_w = b.number("idle_power_w", 0.0, 1e6);
  base.uncertainty_w = b.number("uncertainty_w", 0.0, 1e6);
  base.drift_w = b.number("drift_w", -1e6, 1e6);
  base.duration_s = b.number("duration_s", 0.0, 1e7);
  base.settle_s = b.number("settle_s", 0.0, 1e7);
  base.measured_at = b.string("measured_at");
  base.method = b.string("method");
  base.samples = static_cast<std::uint64_t>(b.integer("samples", 0));
  if (base.channel_id.empty() || !seen.insert(base.channel_id).second) {
    b.member("channel_id").fail("is empty or repeated: '" + base.channel_id + "'");
  }
  if (base.duration_s <= 0.0) b.member("duration_s").fail("is not positive");
  return base;
}

void calibration_from_json(const JsonReader& c, NodeProfile& p) {
  const JsonReader at = c.member("calibrated_at");
  p.calibrated_at = at.as_string();
  if (!parse_iso8601(p.calibrated_at)) at.fail("is not an ISO 8601 UTC time");
  p.calibrated_on = c.string("calibrated_on");
  p.calibration_warnings = c.strings("warnings");
  std::set<std::string> seen;
  for (const JsonReader& baseline : c.array("baselines")) {
    p.baselines.push_back(baseline_from_json(baseline, seen));
  }
}

// The format's name (the current one or the legacy one) and version.
void check_profile_format(const JsonReader& top) {
  const JsonReader schema = top.member("schema");
  const std::string name = schema.as_string();
  if (name != kSchemaName && name != kLegacySchemaName) {
    schema.fail(fmt::format("is '{}', not '{}' (version {})", name, kSchemaName,
                            NodeProfile::kSchemaVersion));
  }
  const JsonReader version = top.member("version");
  const auto number = version.as_integer(1, 1000);
  if (number != NodeProfile::kSchemaVersion) {
    version.fail(fmt::format("is {}; this jouletrace reads {} version {}", number, kSchemaName,
                             NodeProfile::kSchemaVersion));
  }
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
  const JsonReader top = JsonReader(j, "profile").as_object();
  check_profile_format(top);
  NodeProfile p;
  p.created_at = top.string("created_at");
  p.inventory = inventory_from_json(top.object("node"));
  // Required, but null when the node was never calibrated.
  if (const JsonReader calibration = top.member("calibration"); !calibration.is_null()) {
    calibration_from_json(calibration.as_object(), p);
  }
  if (!top.ok()) {
    return make_error(ErrorKind::kInvalidData, "malformed node profile: " + top.problem(),
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
  const auto j = parse_json(text.str(), path.string());
  if (!j) {
    return make_error(j.error().kind, j.error().message,
                      "run `jouletrace calibrate` to write a new profile");
  }
  auto profile = profile_from_json(*j);
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
                     std::vector<Warning>* warnings) {
  apply_baselines(window, profile, current_baseline_context(), warnings);
}

namespace {

// Baselines from another node, or old ones, describe this hardware less well.
void check_profile_origin(const NodeProfile& profile, const BaselineContext& context,
                          std::vector<Warning>& out) {
  if (!profile.calibrated_on.empty() && !context.hostname.empty() &&
      profile.calibrated_on != context.hostname) {
    out.push_back(
        Warning{"baselines-other-node",
                "node-profile",
                {},
                {{"calibrated_on", profile.calibrated_on}, {"hostname", context.hostname}}});
  }
  if (const auto when = parse_iso8601(profile.calibrated_at)) {
    const double age_s = std::chrono::duration<double>(context.now - *when).count();
    if (age_s / 86400.0 > context.max_age_days) {
      out.push_back(Warning{"baselines-old",
                            "node-profile",
                            {{"age_s", age_s}},
                            {{"calibrated_at", profile.calibrated_at}}});
    }
  }
}

// Splits one component by its baseline; a dynamic energy below zero is kept, and said.
void split_by_baseline(ComponentResult& c, const IdleBaseline& base, std::vector<Warning>& out) {
  // The energy leaves out gaps the sampler could not bridge; the idle part must span the
  // same time, or dynamic energy would absorb the idle power of the gaps.
  const double measured_s = std::max(0.0, c.measured.covered_s - c.gap_s);
  c.idle_power_w = base.idle_power_w;
  c.idle = Measurement{.energy_j = base.idle_power_w * measured_s,
                       .uncertainty = assumed_budget(base.uncertainty_w * measured_s),
                       .method = Method::kModel,
                       .samples = base.samples,
                       .covered_s = measured_s,
                       .provenance = "calibrated idle power x measured time"};
  c.dynamic = difference(c.measured, c.idle, "energy minus the idle baseline");
  const double dynamic_j = *c.dynamic.energy_j;
  if (!(dynamic_j < 0.0)) return;
  // The measurement and the baseline are independent: their uncertainties add in quadrature.
  const double tolerance_j =
      std::hypot(c.measured.uncertainty.total_j, base.uncertainty_w * measured_s);
  if (-dynamic_j <= tolerance_j) {
    out.push_back(Warning{
        "dynamic-below-zero", c.id, {{"dynamic_j", dynamic_j}, {"tolerance_j", tolerance_j}}, {}});
  } else {
    out.push_back(Warning{"baseline-stale",
                          c.id,
                          {{"avg_power_w", c.avg_power_w},
                           {"idle_power_w", base.idle_power_w},
                           {"dynamic_j", dynamic_j}},
                          {}});
  }
}

// Channels measured now without a baseline, and baselines of channels not measured now.
void check_channel_set(const NodeProfile& profile, const std::set<std::string>& measured_ids,
                       const std::vector<std::string>& without_baseline,
                       std::vector<Warning>& out) {
  std::vector<std::string> missing;
  for (const auto& b : profile.baselines) {
    if (!measured_ids.contains(b.channel_id)) missing.push_back(b.channel_id);
  }
  if (without_baseline.empty() && missing.empty()) return;
  Warning changed{"channels-changed", "node-profile", {}, {}};
  if (!without_baseline.empty()) {
    changed.details["without_baseline"] = fmt::format("{}", fmt::join(without_baseline, ", "));
  }
  if (!missing.empty()) {
    changed.details["not_measured"] = fmt::format("{}", fmt::join(missing, ", "));
  }
  out.push_back(std::move(changed));
}

void split_components(WindowResult& window, const NodeProfile& profile, std::vector<Warning>& out) {
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
    } else {
      split_by_baseline(c, *it->second, out);
    }
  }
  check_channel_set(profile, measured_ids, without_baseline, out);
}

}  // namespace

void apply_baselines(WindowResult& window, const NodeProfile& profile,
                     const BaselineContext& context, std::vector<Warning>* warnings) {
  std::vector<Warning> out;
  if (profile.baselines.empty()) {
    out.push_back(Warning{"no-baselines", "node-profile", {}, {}});
  } else {
    check_profile_origin(profile, context, out);
    split_components(window, profile, out);
  }
  if (warnings != nullptr) warnings->insert(warnings->end(), out.begin(), out.end());
}

std::vector<IdleBaseline> baselines_from_window(const WindowResult& window,
                                                const std::vector<ChannelInfo>& channels,
                                                const std::vector<ChannelSeries>& series,
                                                const CalibrationSettings& settings,
                                                std::vector<Warning>* warnings) {
  auto warn = [&](Warning w) {
    if (warnings != nullptr) warnings->push_back(std::move(w));
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
      warn(Warning{"no-baseline", c.id, {}, {{"reason", c.lost ? "lost" : "too-few-readings"}}});
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
      warn(Warning{"negative-idle-power", c.id, {{"idle_power_w", b.idle_power_w}}, {}});
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
          warn(Warning{"calibration-drift",
                       c.id,
                       {{"first_half_w", *first}, {"second_half_w", *second}},
                       {}});
        }
      }
    }
    if (c.activity_max_pct && *c.activity_max_pct > 1.0) {
      warn(Warning{
          "busy-during-calibration", c.id, {{"max_activity_pct", *c.activity_max_pct}}, {}});
    }
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace jt
