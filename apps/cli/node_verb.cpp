// SPDX-License-Identifier: BSD-3-Clause
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "arguments.hpp"
#include "ledger/node_profile.hpp"
#include "report/run_report.hpp"
#include "sensors/bmc_backends.hpp"
#include "sensors/node_inventory.hpp"
#include "verbs.hpp"

namespace jt::cli {

namespace {

template <typename T, typename Format>
std::string fact_text(const Fact<T>& fact, Format format) {
  if (fact.value) return format(*fact.value);
  return "unknown (" + fact.unknown_reason + ")";
}

void print_profile(const NodeProfile& profile, const std::string& baselines_from) {
  const NodeInventory& inv = profile.inventory;
  auto as_is = [](const auto& v) { return fmt::format("{}", v); };
  fmt::print("Node {}\n", fact_text(inv.hostname, as_is));
  fmt::print("  CPU          {}\n", fact_text(inv.cpu_model, as_is));
  fmt::print("  sockets      {}\n", fact_text(inv.sockets, as_is));
  fmt::print("  cores        {}\n", fact_text(inv.cores, as_is));
  fmt::print("  threads      {}\n", fact_text(inv.threads, as_is));
  fmt::print("  memory       {}\n", fact_text(inv.memory_bytes, [](std::uint64_t b) {
               return fmt::format("{:.1f} GiB (MemTotal)",
                                  static_cast<double>(b) / (1024.0 * 1024.0 * 1024.0));
             }));
  if (inv.gpus.empty()) fmt::print("  GPUs         none found\n");
  for (const auto& g : inv.gpus) {
    fmt::print("  GPU {:<8} {}  {}  power limit {}\n", g.index, g.model,
               g.uuid.empty() ? "(no UUID)" : g.uuid,
               g.power_limit_w ? fmt::format("{:g} W", *g.power_limit_w) : "unknown");
  }
  if (inv.node_meters.empty()) fmt::print("  node meter   none found\n");
  for (const auto& m : inv.node_meters) {
    fmt::print("  node meter   {}  ({})\n", m.id, m.provenance);
  }
  fmt::print("  channels     {} probed (`jouletrace sensors` lists them)\n", inv.channels.size());
  for (const auto& note : inv.notes) fmt::print("  note: {}\n", note);

  if (profile.calibrated_at.empty()) {
    fmt::print("\nIdle baselines: none ({}); run `jouletrace calibrate` on an idle node\n",
               baselines_from);
    return;
  }
  fmt::print("\nIdle baselines (calibrated {} on {}; {}):\n", profile.calibrated_at,
             profile.calibrated_on, baselines_from);
  std::size_t width = 7;
  for (const auto& b : profile.baselines) width = std::max(width, b.channel_id.size());
  fmt::print("  {:<{}}  {:>9}  {:>8}  {:>8}  {:>7}  {}\n", "channel", width, "idle W", "± W",
             "drift W", "time s", "method");
  for (const auto& b : profile.baselines) {
    fmt::print("  {:<{}}  {:>9.3f}  {:>8.3f}  {:>8.3f}  {:>7.1f}  {}\n", b.channel_id, width,
               b.idle_power_w, b.uncertainty_w, b.drift_w, b.duration_s, b.method);
  }
  for (const auto& w : profile.calibration_warnings)
    fmt::print("  warning at calibration: {}\n", w);
}

}  // namespace

int node_verb(const NodeOptions& options) {
  auto probed = probe_node(options.probe, "node");
  if (!probed) return kExitOwnFailure;
  ProbeOutcome probe = std::move(*probed);
  std::vector<ChannelInfo> channels;
  for (const auto& sensor : probe.sensors) {
    for (const auto& info : sensor->channels()) channels.push_back(info);
  }
  NodeProfile profile;
  profile.inventory = read_node_inventory(options.probe, channels);
  profile.created_at = to_iso8601(std::chrono::system_clock::now());

  // The baselines come from the stored profile; the inventory is always taken afresh.
  std::string baselines_from = "no stored profile";
  std::optional<std::filesystem::path> stored;
  if (!options.profile_path.empty()) {
    stored = options.profile_path;
  } else if (auto locations = profile_locations(profile.inventory.hostname.value.value_or(""))) {
    stored = find_profile(*locations);
    if (!stored) baselines_from = "no profile at " + locations->write.string();
  } else {
    baselines_from = locations.error().message;
  }
  if (stored) {
    auto loaded = load_profile(*stored);
    if (!loaded) {
      fmt::print(stderr, "jouletrace node: {}\n", loaded.error().message);
      if (!loaded.error().hint.empty()) fmt::print(stderr, "  fix: {}\n", loaded.error().hint);
      return kExitOwnFailure;
    }
    profile.baselines = loaded->baselines;
    profile.calibrated_at = loaded->calibrated_at;
    profile.calibrated_on = loaded->calibrated_on;
    profile.calibration_warnings = loaded->calibration_warnings;
    baselines_from = "from " + stored->string();
    if (!profile.calibrated_on.empty() && profile.inventory.hostname.value &&
        *profile.inventory.hostname.value != profile.calibrated_on) {
      fmt::print(stderr, "jouletrace node: warning: the baselines in {} were measured on '{}'\n",
                 stored->string(), profile.calibrated_on);
    }
  }

  const std::string json_text =
      to_json(profile).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (!options.output.empty()) {
    if (auto written = write_file_atomically(options.output, json_text); !written) {
      fmt::print(stderr, "jouletrace node: {}\n", written.error().message);
      return kExitOwnFailure;
    }
  }
  if (options.json) {
    fmt::print("{}", json_text);
  } else {
    print_profile(profile, baselines_from);
  }
  return 0;
}

}  // namespace jt::cli
