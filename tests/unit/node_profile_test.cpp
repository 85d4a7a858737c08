// SPDX-License-Identifier: BSD-3-Clause
// The node profile: JSON round trip, strict loading, where it lives, idle baselines and the
// idle/dynamic split they give a run.
#include "ledger/node_profile.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>

#include "support/test_support.hpp"
#include "support/warning_support.hpp"

namespace jt {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Sets an environment variable for one test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

NodeProfile sample_profile() {
  NodeProfile p;
  p.created_at = "2025-03-01T10:00:00Z";
  NodeInventory& inv = p.inventory;
  inv.hostname = Fact<std::string>::known("node17");
  inv.cpu_model = Fact<std::string>::known("AMD EPYC 7763 64-Core Processor");
  inv.sockets = Fact<int>::known(2);
  inv.cores = Fact<int>::known(128);
  inv.threads = Fact<int>::unknown("no CPU topology under /sys/devices/system/cpu");
  inv.memory_bytes = Fact<std::uint64_t>::known(std::uint64_t{512} << 30);
  inv.gpus.push_back({0, "nvml/GPU-aaaa", "GPU-aaaa", "NVIDIA A100-SXM4-80GB", 400.0, "NVML"});
  inv.gpus.push_back({1, "nvml/index-1", "", "NVIDIA GPU 1", std::nullopt, "NVML"});
  inv.node_meters.push_back({"hwmon/hwmon0/power1", Domain::kNode, "power_meter", "/sys/x"});
  inv.channels = {{"powercap/intel-rapl:0", Domain::kPackage, "package-0", "/sys/y"},
                  {"nvml/GPU-aaaa", Domain::kGpu, "NVIDIA A100-SXM4-80GB", "NVML"}};
  inv.notes = {"a note"};
  p.calibrated_at = "2025-03-01T10:05:00Z";
  p.calibrated_on = "node17";
  p.calibration_warnings = {"something to know"};
  IdleBaseline pkg{
      "powercap/intel-rapl:0", Domain::kPackage, "package-0", 95.5, 0.25, -0.1, 30.0, 10.0,
      "2025-03-01T10:05:00Z",  "counter",        301};
  IdleBaseline gpu{"nvml/GPU-aaaa",
                   Domain::kGpu,
                   "NVIDIA A100-SXM4-80GB",
                   55.0,
                   2.0,
                   0.3,
                   30.0,
                   10.0,
                   "2025-03-01T10:05:00Z",
                   "counter",
                   301};
  p.baselines = {pkg, gpu};
  return p;
}

// sample_profile() as docs/NODE-PROFILE.md lays a profile out, written out by hand: the writer
// must produce it and the reader must take it back (each against this text, not one through
// the other, which would agree however both were wrong).
const char* const kSampleProfileJson = R"json({
  "schema": "jouletrace.node-profile", "version": 1, "created_at": "2025-03-01T10:00:00Z",
  "node": {
    "hostname": {"value": "node17"},
    "cpu_model": {"value": "AMD EPYC 7763 64-Core Processor"},
    "sockets": {"value": 2}, "cores": {"value": 128},
    "threads": {"value": null, "unknown_reason": "no CPU topology under /sys/devices/system/cpu"},
    "memory_bytes": {"value": 549755813888},
    "gpus": [{"index": 0, "channel_id": "nvml/GPU-aaaa", "uuid": "GPU-aaaa",
              "model": "NVIDIA A100-SXM4-80GB", "power_limit_w": 400.0, "provenance": "NVML"},
             {"index": 1, "channel_id": "nvml/index-1", "uuid": "",
              "model": "NVIDIA GPU 1", "power_limit_w": null, "provenance": "NVML"}],
    "node_meters": [{"id": "hwmon/hwmon0/power1", "domain": "node", "device": "power_meter",
                     "provenance": "/sys/x"}],
    "channels": [{"id": "powercap/intel-rapl:0", "domain": "package", "device": "package-0",
                  "provenance": "/sys/y"},
                 {"id": "nvml/GPU-aaaa", "domain": "gpu", "device": "NVIDIA A100-SXM4-80GB",
                  "provenance": "NVML"}],
    "notes": ["a note"]
  },
  "calibration": {
    "calibrated_at": "2025-03-01T10:05:00Z", "calibrated_on": "node17",
    "warnings": ["something to know"],
    "baselines": [{"channel_id": "powercap/intel-rapl:0", "domain": "package", "device": "package-0",
                   "idle_power_w": 95.5, "uncertainty_w": 0.25, "drift_w": -0.1,
                   "duration_s": 30.0, "settle_s": 10.0, "measured_at": "2025-03-01T10:05:00Z",
                   "method": "counter", "samples": 301},
                  {"channel_id": "nvml/GPU-aaaa", "domain": "gpu", "device": "NVIDIA A100-SXM4-80GB",
                   "idle_power_w": 55.0, "uncertainty_w": 2.0, "drift_w": 0.3,
                   "duration_s": 30.0, "settle_s": 10.0, "measured_at": "2025-03-01T10:05:00Z",
                   "method": "counter", "samples": 301}]
  }
})json";

TEST(NodeProfile, WritesTheDocumentedJson) {
  EXPECT_EQ(to_json(sample_profile()), json::parse(kSampleProfileJson));
}

TEST(NodeProfile, ReadsTheDocumentedJson) {
  auto back = profile_from_json(json::parse(kSampleProfileJson));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->created_at, "2025-03-01T10:00:00Z");
  const NodeInventory& inv = back->inventory;
  EXPECT_EQ(inv.hostname.value, "node17");
  EXPECT_EQ(inv.cpu_model.value, "AMD EPYC 7763 64-Core Processor");
  EXPECT_EQ(inv.sockets.value, 2);
  EXPECT_EQ(inv.cores.value, 128);
  EXPECT_FALSE(inv.threads.value);
  EXPECT_EQ(inv.threads.unknown_reason, "no CPU topology under /sys/devices/system/cpu");
  EXPECT_EQ(inv.memory_bytes.value, std::uint64_t{549755813888});
  ASSERT_EQ(inv.gpus.size(), 2u);
  EXPECT_EQ(inv.gpus[0].index, 0);
  EXPECT_EQ(inv.gpus[0].channel_id, "nvml/GPU-aaaa");
  EXPECT_EQ(inv.gpus[0].uuid, "GPU-aaaa");
  EXPECT_EQ(inv.gpus[0].model, "NVIDIA A100-SXM4-80GB");
  EXPECT_EQ(inv.gpus[0].power_limit_w, 400.0);
  EXPECT_EQ(inv.gpus[0].provenance, "NVML");
  EXPECT_EQ(inv.gpus[1].index, 1);
  EXPECT_EQ(inv.gpus[1].uuid, "");
  EXPECT_FALSE(inv.gpus[1].power_limit_w);
  ASSERT_EQ(inv.node_meters.size(), 1u);
  EXPECT_EQ(inv.node_meters[0].id, "hwmon/hwmon0/power1");
  EXPECT_EQ(inv.node_meters[0].domain, Domain::kNode);
  EXPECT_EQ(inv.node_meters[0].device, "power_meter");
  EXPECT_EQ(inv.node_meters[0].provenance, "/sys/x");
  ASSERT_EQ(inv.channels.size(), 2u);
  EXPECT_EQ(inv.channels[1].id, "nvml/GPU-aaaa");
  EXPECT_EQ(inv.channels[1].domain, Domain::kGpu);
  EXPECT_EQ(inv.notes, std::vector<std::string>{"a note"});
  EXPECT_EQ(back->calibrated_at, "2025-03-01T10:05:00Z");
  EXPECT_EQ(back->calibrated_on, "node17");
  EXPECT_EQ(back->calibration_warnings, std::vector<std::string>{"something to know"});
  ASSERT_EQ(back->baselines.size(), 2u);
  const IdleBaseline& pkg = back->baselines[0];
  EXPECT_EQ(pkg.channel_id, "powercap/intel-rapl:0");
  EXPECT_EQ(pkg.domain, Domain::kPackage);
  EXPECT_EQ(pkg.device, "package-0");
  EXPECT_DOUBLE_EQ(pkg.idle_power_w, 95.5);
  EXPECT_DOUBLE_EQ(pkg.uncertainty_w, 0.25);
  EXPECT_DOUBLE_EQ(pkg.drift_w, -0.1);
  EXPECT_DOUBLE_EQ(pkg.duration_s, 30.0);
  EXPECT_DOUBLE_EQ(pkg.settle_s, 10.0);
  EXPECT_EQ(pkg.measured_at, "2025-03-01T10:05:00Z");
  EXPECT_EQ(pkg.method, "counter");
  EXPECT_EQ(pkg.samples, 301);
  EXPECT_EQ(back->baselines[1].domain, Domain::kGpu);
  EXPECT_DOUBLE_EQ(back->baselines[1].idle_power_w, 55.0);
  EXPECT_DOUBLE_EQ(back->baselines[1].drift_w, 0.3);
}

TEST(NodeProfile, WritesTheSchemaAndVersionAndReadsTheOldName) {
  json j = to_json(sample_profile());
  EXPECT_EQ(j["schema"], "jouletrace.node-profile");
  EXPECT_EQ(j["version"], 1);
  // Profiles written before the rename sit on users' disks: still read, never written.
  j["schema"] = "jouletrace-node-profile";
  auto back = profile_from_json(j);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(to_json(*back)["schema"], "jouletrace.node-profile");
}

TEST(NodeProfile, SchemaErrorsNameWhatIsExpectedAndWhatWasFound) {
  json j = to_json(sample_profile());
  j["schema"] = "jouletrace.run";
  auto p = profile_from_json(j);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("profile.schema is 'jouletrace.run', not "
                                   "'jouletrace.node-profile' (version 1)"),
            std::string::npos)
      << p.error().message;
  j = to_json(sample_profile());
  j["version"] = 2;
  p = profile_from_json(j);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("profile.version is 2; this jouletrace reads "
                                   "jouletrace.node-profile version 1"),
            std::string::npos)
      << p.error().message;
}

TEST(NodeProfile, UncalibratedProfileHasNullCalibration) {
  NodeProfile p = sample_profile();
  p.baselines.clear();
  p.calibrated_at.clear();
  const json j = to_json(p);
  EXPECT_TRUE(j["calibration"].is_null());
  auto back = profile_from_json(j);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->baselines.empty());
  EXPECT_TRUE(back->calibrated_at.empty());
}

// Each mutation makes the profile invalid; the message must name the field.
TEST(NodeProfile, MalformedProfilesAreClearErrorsNamingTheField) {
  const json good = to_json(sample_profile());
  struct Case {
    std::string field;
    std::function<void(json&)> mutate;
  };
  const std::vector<Case> cases = {
      {"profile.schema", [](json& j) { j["schema"] = "something-else"; }},
      {"profile.version", [](json& j) { j["version"] = 99; }},
      {"profile.node", [](json& j) { j.erase("node"); }},
      {"profile.node.sockets", [](json& j) { j["node"]["sockets"]["value"] = "two"; }},
      {"profile.node.sockets", [](json& j) { j["node"]["sockets"]["value"] = 0; }},
      {"profile.node.cores",
       [](json& j) {
         j["node"]["cores"] = {{"value", nullptr}};
       }},
      {"profile.node.gpus", [](json& j) { j["node"]["gpus"] = "none"; }},
      {"profile.node.gpus[0].power_limit_w",
       [](json& j) { j["node"]["gpus"][0]["power_limit_w"] = -5; }},
      {"profile.node.channels[0].domain",
       [](json& j) { j["node"]["channels"][0]["domain"] = "toaster"; }},
      {"profile.calibration.calibrated_at",
       [](json& j) { j["calibration"]["calibrated_at"] = "yesterday"; }},
      {"profile.calibration.baselines[0].idle_power_w",
       [](json& j) { j["calibration"]["baselines"][0]["idle_power_w"] = -1.0; }},
      {"profile.calibration.baselines[1].channel_id",
       [](json& j) { j["calibration"]["baselines"][1]["channel_id"] = "powercap/intel-rapl:0"; }},
      {"profile.calibration.baselines[0].duration_s",
       [](json& j) { j["calibration"]["baselines"][0]["duration_s"] = 0; }},
      {"profile.calibration.baselines[0].samples",
       [](json& j) { j["calibration"]["baselines"][0]["samples"] = 1.5; }},
      // Above INT64_MAX: once silently read as INT64_MAX.
      {"profile.calibration.baselines[0].samples is 18446744073709551615",
       [](json& j) {
         j["calibration"]["baselines"][0]["samples"] = std::numeric_limits<std::uint64_t>::max();
       }},
      {"profile.node.gpus[0].uuid is an integer, not a string",
       [](json& j) { j["node"]["gpus"][0]["uuid"] = 7; }},
      {"profile.calibration.baselines",
       [](json& j) { j["calibration"]["baselines"] = json::object(); }},
      {"profile ", [](json& j) { j = json::array(); }},
  };
  for (const auto& c : cases) {
    json j = good;
    c.mutate(j);
    auto p = profile_from_json(j);
    ASSERT_FALSE(p) << c.field;
    EXPECT_EQ(p.error().kind, ErrorKind::kInvalidData);
    EXPECT_NE(p.error().message.find(c.field), std::string::npos)
        << c.field << " not in: " << p.error().message;
    EXPECT_FALSE(p.error().hint.empty());
  }
}

TEST(NodeProfile, SaveIsAtomicAndLoadRejectsGarbage) {
  test::TempTree dir;
  const fs::path path = dir / "deep/er/profile.json";
  ASSERT_TRUE(save_profile(path, sample_profile()));
  auto loaded = load_profile(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(to_json(*loaded), to_json(sample_profile()));
  // No temporary left behind.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(path.parent_path())) ++files;
  EXPECT_EQ(files, 1u);

  const std::string text = test::read_file(path);
  test::write_file(path, text.substr(0, text.size() / 2));  // truncated
  auto truncated = load_profile(path);
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().message.find("malformed JSON in " + path.string()), std::string::npos)
      << truncated.error().message;

  test::write_file(path, "");
  EXPECT_FALSE(load_profile(path));
  auto missing = load_profile(dir / "nope.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST(NodeProfile, LocationsFollowTheDocumentedOrder) {
  {
    ScopedEnv profile("JOULETRACE_PROFILE", "/tmp/x/p.json");
    auto loc = profile_locations("h1");
    ASSERT_TRUE(loc);
    EXPECT_EQ(loc->write, "/tmp/x/p.json");
    EXPECT_EQ(loc->read, std::vector<fs::path>{"/tmp/x/p.json"});
  }
  ScopedEnv profile("JOULETRACE_PROFILE", nullptr);
  ScopedEnv state("XDG_STATE_HOME", "/state");
  ScopedEnv home("HOME", "/home/u");
  auto loc = profile_locations("h1");
  ASSERT_TRUE(loc);
  if (::geteuid() == 0) {
    EXPECT_EQ(loc->write, "/var/lib/jouletrace/profile-h1.json");
    return;  // the per-user rules below do not apply to root
  }
  EXPECT_EQ(loc->write, "/state/jouletrace/profile-h1.json");
  ASSERT_EQ(loc->read.size(), 2u);
  EXPECT_EQ(loc->read[1], "/var/lib/jouletrace/profile-h1.json");
  {
    ScopedEnv relative("XDG_STATE_HOME", "relative/dir");
    EXPECT_EQ(profile_locations("h1")->write, "/home/u/.local/state/jouletrace/profile-h1.json");
  }
  ScopedEnv no_state("XDG_STATE_HOME", nullptr);
  ScopedEnv no_home("HOME", nullptr);
  auto none = profile_locations("h1");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().hint.find("--profile"), std::string::npos);
}

TEST(NodeProfile, FindProfileTakesTheFirstThatExists) {
  test::TempTree dir;
  test::write_file(dir / "second.json", "{}");
  ProfileLocations loc{dir / "first.json", {dir / "first.json", dir / "second.json"}};
  EXPECT_EQ(find_profile(loc), dir / "second.json");
  loc.read.pop_back();
  EXPECT_FALSE(find_profile(loc));
}

// Against a known instant, not one function through the other: 2025-03-01T10:05:07Z is
// 1740823507 s after the epoch (20148 days to 2025-03-01, x 86400, + 10:05:07).
TEST(NodeProfile, Iso8601OfAKnownInstant) {
  const auto known = std::chrono::system_clock::from_time_t(1740823507);
  const auto t = parse_iso8601("2025-03-01T10:05:07Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, known);
  EXPECT_EQ(to_iso8601(known), "2025-03-01T10:05:07Z");
  EXPECT_FALSE(parse_iso8601("2025-03-01 10:05:07"));
  EXPECT_FALSE(parse_iso8601("2025-03-01T10:05:07Zjunk"));
  EXPECT_FALSE(parse_iso8601(""));
}

ComponentResult component(const std::string& id, double energy_j, double covered_s,
                          double uncertainty_j) {
  ComponentResult c;
  c.id = id;
  c.measured.energy_j = energy_j;
  c.measured.method = Method::kCounter;
  c.measured.covered_s = covered_s;
  c.avg_power_w = energy_j / covered_s;
  c.measured.samples = 100;
  c.measured.uncertainty.total_j = uncertainty_j;
  return c;
}

BaselineContext context_at(const std::string& host, const std::string& when) {
  return {host, *parse_iso8601(when), 30.0};
}

TEST(ApplyBaselines, SplitsEnergyIntoIdleAndDynamic) {
  WindowResult w;
  w.components = {component("powercap/intel-rapl:0", 1200.0, 10.0, 0.5),
                  component("nvml/GPU-aaaa", 3000.0, 10.0, 5.0)};
  w.components[1].gap_s = 2.0;  // 8 s measured: idle must cover the same 8 s
  std::vector<Warning> warnings;
  apply_baselines(w, sample_profile(), context_at("node17", "2025-03-02T00:00:00Z"), &warnings);
  const auto& pkg = w.components[0];
  ASSERT_TRUE(pkg.idle_power_w);
  EXPECT_DOUBLE_EQ(*pkg.idle_power_w, 95.5);
  EXPECT_DOUBLE_EQ(pkg.idle.energy_j.value(), 955.0);
  EXPECT_DOUBLE_EQ(pkg.dynamic.energy_j.value(), 245.0);
  EXPECT_EQ(pkg.idle.method, Method::kModel);
  EXPECT_EQ(pkg.dynamic.method, Method::kMixed);
  EXPECT_DOUBLE_EQ(w.components[1].idle.energy_j.value(), 55.0 * 8.0);
  EXPECT_DOUBLE_EQ(w.components[1].dynamic.energy_j.value(), 3000.0 - 440.0);
  EXPECT_TRUE(warnings.empty()) << test::codes_of(warnings);
}

TEST(ApplyBaselines, NegativeDynamicWithinUncertaintyIsKeptAndExplained) {
  WindowResult w;
  // 95.4 W measured against a 95.5 ± 0.25 W baseline over 10 s: -1 J, within ±2.5 J.
  w.components = {component("powercap/intel-rapl:0", 954.0, 10.0, 0.1),
                  component("nvml/GPU-aaaa", 300.0, 10.0, 1.0)};
  std::vector<Warning> warnings;
  apply_baselines(w, sample_profile(), context_at("node17", "2025-03-02T00:00:00Z"), &warnings);
  EXPECT_DOUBLE_EQ(w.components[0].dynamic.energy_j.value(), -1.0);  // not clamped to 0
  // The GPU at 30 W against a 55 W baseline: far beyond the uncertainty, a stale baseline.
  EXPECT_DOUBLE_EQ(w.components[1].dynamic.energy_j.value(), -250.0);
  const std::vector<Warning> expected = {
      {"dynamic-below-zero",
       "powercap/intel-rapl:0",
       {{"dynamic_j", -1.0}, {"tolerance_j", std::hypot(0.1, 0.25 * 10.0)}},
       {}},
      {"baseline-stale",
       "nvml/GPU-aaaa",
       {{"avg_power_w", 30.0}, {"idle_power_w", 55.0}, {"dynamic_j", -250.0}},
       {}}};
  EXPECT_EQ(warnings, expected);
}

TEST(ApplyBaselines, WarnsAboutAnotherHostAnOldProfileAndChangedChannels) {
  WindowResult w;
  w.components = {component("powercap/intel-rapl:0", 1200.0, 10.0, 0.5),
                  component("powercap/intel-rapl:1", 1200.0, 10.0, 0.5)};
  ComponentResult model = component("model/cpu", 50.0, 10.0, 25.0);
  model.measured.method = Method::kModel;
  w.components.push_back(model);
  std::vector<Warning> warnings;
  apply_baselines(w, sample_profile(), context_at("node42", "2025-06-01T00:00:00Z"), &warnings);
  // Calibrated 2025-03-01T10:05:00Z, now 2025-06-01T00:00:00Z: 92 days less 10 h 5 min.
  const double age_s = 92 * 86400.0 - (10 * 3600.0 + 5 * 60.0);
  const std::vector<Warning> expected = {
      {"baselines-other-node",
       "node-profile",
       {},
       {{"calibrated_on", "node17"}, {"hostname", "node42"}}},
      {"baselines-old",
       "node-profile",
       {{"age_s", age_s}},
       {{"calibrated_at", "2025-03-01T10:05:00Z"}}},
      {"channels-changed",
       "node-profile",
       {},
       {{"without_baseline", "powercap/intel-rapl:1"}, {"not_measured", "nvml/GPU-aaaa"}}}};
  EXPECT_EQ(warnings, expected);
  EXPECT_FALSE(w.components[1].idle_power_w);  // left unsplit
  EXPECT_FALSE(w.components[2].idle_power_w);  // models are never split
  EXPECT_TRUE(w.components[0].idle_power_w);
}

TEST(ApplyBaselines, UncalibratedProfileSplitsNothingAndSaysSo) {
  NodeProfile p = sample_profile();
  p.baselines.clear();
  p.calibrated_at.clear();
  WindowResult w;
  w.components = {component("powercap/intel-rapl:0", 1200.0, 10.0, 0.5)};
  std::vector<Warning> warnings;
  apply_baselines(w, p, context_at("node17", "2025-03-02T00:00:00Z"), &warnings);
  EXPECT_FALSE(w.components[0].idle_power_w);
  EXPECT_EQ(warnings, (std::vector<Warning>{{"no-baselines", "node-profile", {}, {}}}));
}

ChannelSeries linear_series(double first_w, double second_w, int points, double dt_s) {
  ChannelSeries s;
  double e = 1000.0;
  for (int i = 0; i < points; ++i) {
    s.t_ns.push_back(static_cast<std::int64_t>(i * dt_s * 1e9));
    s.energy_j.push_back(e);
    e += (i < points / 2 ? first_w : second_w) * dt_s;
  }
  return s;
}

TEST(BaselinesFromWindow, IdlePowerIsEnergyOverMeasuredTime) {
  std::vector<ChannelInfo> channels(2);
  channels[0].id = "powercap/intel-rapl:0";
  channels[0].quantity = Quantity::kEnergyCounter;
  channels[1].id = "nvml/GPU-aaaa";
  channels[1].quantity = Quantity::kInstantPower;
  channels[1].reports_activity = true;
  const std::vector<ChannelSeries> series = {linear_series(50.0, 50.0, 101, 0.1),
                                             linear_series(40.0, 80.0, 101, 0.1)};
  WindowResult w;
  w.components = {component("powercap/intel-rapl:0", 500.0, 10.0, 0.2),
                  component("nvml/GPU-aaaa", 600.0, 10.0, 1.0)};
  w.components[1].activity_max_pct = 35.0;
  ComponentResult lost = component("powercap/intel-rapl:1", 10.0, 1.0, 0.1);
  lost.lost = true;
  w.components.push_back(lost);
  std::vector<Warning> warnings;
  const auto baselines =
      baselines_from_window(w, channels, series, {5.0, "2025-03-01T10:05:00Z"}, &warnings);
  ASSERT_EQ(baselines.size(), 2u);
  EXPECT_DOUBLE_EQ(baselines[0].idle_power_w, 50.0);
  EXPECT_DOUBLE_EQ(baselines[0].uncertainty_w, 0.02);
  EXPECT_NEAR(baselines[0].drift_w, 0.0, 1e-9);
  EXPECT_EQ(baselines[0].method, "counter");
  EXPECT_DOUBLE_EQ(baselines[0].settle_s, 5.0);
  EXPECT_EQ(baselines[1].method, "power-integrated");
  EXPECT_NEAR(baselines[1].drift_w, 40.0, 1e-6);
  // The GPU drifted and was busy; the lost channel has no baseline.
  ASSERT_EQ(warnings.size(), 3u) << test::codes_of(warnings);
  // 40 W over the first half of the series, 80 W over the second.
  EXPECT_EQ(warnings[0].code, "calibration-drift");
  EXPECT_EQ(warnings[0].subject, "nvml/GPU-aaaa");
  EXPECT_NEAR(figure(warnings[0], "first_half_w").value_or(-1), 40.0, 1e-6);
  EXPECT_NEAR(figure(warnings[0], "second_half_w").value_or(-1), 80.0, 1e-6);
  EXPECT_EQ(
      warnings[1],
      (Warning{"busy-during-calibration", "nvml/GPU-aaaa", {{"max_activity_pct", 35.0}}, {}}));
  EXPECT_EQ(warnings[2],
            (Warning{"no-baseline", "powercap/intel-rapl:1", {}, {{"reason", "lost"}}}));
}

}  // namespace
}  // namespace jt
