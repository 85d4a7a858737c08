// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "ledger/run_ledger.hpp"
#include "sampler/sampler.hpp"
#include "sensors/node_inventory.hpp"

namespace jt {

// The idle power of one channel, measured by `jouletrace calibrate` with the node quiescent
// (docs/ACCURACY.md A5).
struct IdleBaseline {
  std::string channel_id;
  Domain domain = Domain::kOther;
  std::string device;
  double idle_power_w = 0.0;
  // The measurement's own uncertainty over the calibration (the component's uncertainty budget
  // divided by its covered time), in watts.
  double uncertainty_w = 0.0;
  // Second half minus first half of the calibration: how far from steady the node still was.
  double drift_w = 0.0;
  double duration_s = 0.0;  // time the channel was actually covered
  double settle_s = 0.0;    // wait before sampling began
  std::string measured_at;  // ISO 8601, UTC
  std::string method;       // "counter" or "power-integrated", from the channel
  std::uint64_t samples = 0;
};

struct NodeProfile {
  static constexpr int kSchemaVersion = 1;
  NodeInventory inventory;
  std::string created_at;  // ISO 8601, UTC: when this inventory was taken
  // Calibration: empty baselines when the node was never calibrated.
  std::vector<IdleBaseline> baselines;
  std::string calibrated_at;
  std::string calibrated_on;  // hostname at calibration
  // E.g. the node was not idle. Rendered text, not Warning: profile files on users' disks hold
  // them as strings (schemas/node-profile.schema.json).
  std::vector<std::string> calibration_warnings;
};

nlohmann::json to_json(const NodeProfile& profile);
// Strict: anything missing, of the wrong type or out of range is an error naming the field.
Result<NodeProfile> profile_from_json(const nlohmann::json& json);
Result<NodeProfile> load_profile(const std::filesystem::path& path);
// Creates the parent directory if needed and writes atomically.
Result<void> save_profile(const std::filesystem::path& path, const NodeProfile& profile);

// Where `jouletrace calibrate` writes the profile and `run`/`node` read it, in order:
//   $JOULETRACE_PROFILE;
//   root (euid 0): /var/lib/jouletrace/profile-<host>.json, shared with every user of the node;
//   else $XDG_STATE_HOME/jouletrace/profile-<host>.json, else
//        $HOME/.local/state/jouletrace/profile-<host>.json.
// Readers that find no file of their own also try the root one, so a calibration done once by
// an administrator serves everybody.
struct ProfileLocations {
  std::filesystem::path write;
  std::vector<std::filesystem::path> read;  // in order of preference, write first
};
Result<ProfileLocations> profile_locations(const std::string& hostname);
// The first of the read locations that exists; nullopt when none does.
std::optional<std::filesystem::path> find_profile(const ProfileLocations& locations);

// What apply_baselines compares the profile with.
struct BaselineContext {
  std::string hostname;
  std::chrono::system_clock::time_point now;
  double max_age_days = 30.0;  // older baselines are used, with a warning
};
BaselineContext current_baseline_context();

// Splits each measured component into idle and dynamic energy: idle = baseline power x the
// component's measured time (covered time less gaps, the span its energy comes from), dynamic
// = energy - idle. Components without a baseline, and
// modelled ones, are left unsplit. A dynamic energy below zero is kept as it is, never clamped
// (clamping would bias every near-idle run upward); it gets a warning saying whether it lies
// within the combined uncertainty (an idle device) or beyond it (a stale baseline).
void apply_baselines(WindowResult& window, const NodeProfile& profile,
                     std::vector<Warning>* warnings);
void apply_baselines(WindowResult& window, const NodeProfile& profile,
                     const BaselineContext& context, std::vector<Warning>* warnings);

// Turns a calibration run (summarise_run over a quiescent window) into baselines.
struct CalibrationSettings {
  double settle_s = 0.0;
  std::string measured_at;
};
std::vector<IdleBaseline> baselines_from_window(const WindowResult& window,
                                                const std::vector<ChannelInfo>& channels,
                                                const std::vector<ChannelSeries>& series,
                                                const CalibrationSettings& settings,
                                                std::vector<Warning>* warnings);

// ISO 8601 UTC text for a time point, and back; nullopt for text that is not one.
std::string to_iso8601(std::chrono::system_clock::time_point time);
std::optional<std::chrono::system_clock::time_point> parse_iso8601(const std::string& text);

}  // namespace jt
