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

int run_verb(const RunOptions& options);
int mark_verb(const MarkOptions& options);
int sensors_verb(const SensorsOptions& options);

// "100ms", "1ms", "0.5s", "250us"; a bare number is milliseconds. nullopt when malformed.
std::optional<double> parse_interval_s(const std::string& text);

}  // namespace jt::cli
