#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sensors/sensor.hpp"

namespace jt::cli {

struct RunOptions {
  ProbeContext probe;
  double interval_s = 0.1;
  std::string output_json;
  std::string output_csv;
  bool quiet = false;
  double model_watts_per_core = 0.0;  // 0: the built-in default
  std::vector<std::string> command;
  // Node profile with idle baselines (from `jouletrace calibrate`); empty: the default place.
  std::string profile_path;
  std::string tdp_file;  // rated-power data for the runtime estimate; empty: the installed one
  double pue = 1.0;      // power usage effectiveness applied to the runtime estimate
  std::string attribution = "auto";  // exclusive, shared, auto
  double idle_activity_pct = 1.0;    // a GPU whose utilisation never exceeds this did no work
};

struct SensorsOptions {
  ProbeContext probe;
  bool json = false;
};

struct MarkOptions {
  std::string action;  // begin, end, items
  std::string name;
  std::uint64_t count = 0;
};

struct NodeOptions {
  ProbeContext probe;
  bool json = false;
  std::string output;        // write the profile JSON here
  std::string profile_path;  // stored profile whose baselines are shown; empty: the default
};

struct CalibrateOptions {
  ProbeContext probe;
  double settle_s = 10.0;
  double duration_s = 30.0;
  double interval_s = 0.1;
  std::string profile_path;  // where to store the profile; empty: the default place
};

int run_verb(const RunOptions& options);
int node_verb(const NodeOptions& options);
int calibrate_verb(const CalibrateOptions& options);
int mark_verb(const MarkOptions& options);
int sensors_verb(const SensorsOptions& options);

// "100ms", "1ms", "0.5s", "250us"; a bare number is milliseconds. nullopt when malformed.
std::optional<double> parse_interval_s(const std::string& text);

}  // namespace jt::cli
