// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ledger/energy_uncertainty.hpp"
#include "ledger/measurement.hpp"
#include "ledger/warning.hpp"
#include "sampler/sampler.hpp"
#include "sensors/sensor.hpp"

namespace jt {

// How a channel's readings become energy: a counter's differences, or integrated power.
Method method_of(const ChannelInfo& channel);

// One component of the node over a window, with how its number was produced.
struct ComponentResult {
  std::string id;
  Domain domain = Domain::kOther;
  std::string device;
  DeviceIdentity identity;
  std::string note;
  // Its energy over the window. Unknown (method none) when the channel gave fewer than two
  // usable readings, and then left out of totals. `covered_s` is the part of the window between
  // the first and the last reading used, plus what was extrapolated at its ends.
  Measurement measured;
  std::uint64_t skipped_reads = 0;
  std::uint64_t failed_reads = 0;
  std::string last_read_error;  // why the last failed read failed, when the backend said
  std::uint64_t wraps = 0;
  int segments = 0;
  double gap_s = 0.0;
  // Time at the window's start or end that no reading covered, extrapolated at the adjacent
  // span's power (docs/ACCURACY.md).
  double extrapolated_start_s = 0.0;
  double extrapolated_end_s = 0.0;
  double avg_power_w = 0.0;
  double peak_power_w = 0.0;
  bool lost = false;
  double lost_at_s = 0.0;  // seconds after the window started
  bool in_total = false;
  std::string contained_in;   // id of the channel whose energy includes this one
  std::string same_meter_as;  // ChannelInfo::same_meter_as
  std::string anchors;        // ChannelInfo::anchors: never a part of a total by itself
  // Why this container does not stand for its parts: its energy cannot be right (less than what
  // it contains), or it was lost while they went on. Such a component stays in the report and out
  // of every total, and its parts count instead; empty when it stands for them.
  std::string set_aside;
  // Idle/dynamic split from the node profile's calibrated baseline (docs/ACCURACY.md A5); unset
  // (unknown) when this channel has none. idle = baseline power x measured time, a model as
  // uncertain as the baseline; dynamic = energy - idle.
  std::optional<double> idle_power_w;
  Measurement idle;
  Measurement dynamic;
  // How busy the device was over the window (channels with reports_activity), percent.
  std::optional<double> activity_mean_pct;
  std::optional<double> activity_max_pct;
};

// The whole-node meter compared with the sum of the parts it contains (docs/ARCHITECTURE.md §4.4).
struct NodeCoverage {
  std::string node_meter_id;
  Measurement node;   // what the meter measured
  Measurement parts;  // the non-overlapping cover of the node without the meter, added up
  std::vector<std::string> part_ids;
  std::optional<double> coverage;  // parts / node; unknown when the node read nothing
  Measurement rest;                // node - parts: fans, PSU losses, NICs, disks, ...
};

// The CPU estimate used when no CPU energy sensor could be read.
struct CpuModel {
  double cpu_time_s = 0.0;  // user + system time of the process tree
  double watts_per_busy_core = 0.0;
  std::string assumption;  // where the per-core figure comes from
};

struct WindowResult {
  double duration_s = 0.0;
  std::vector<ComponentResult> components;
  Measurement total;  // over the cover; unknown when nothing could be measured or estimated
  std::vector<std::string> total_cover;
  std::vector<Warning> warnings;
  std::optional<CpuModel> cpu_model;
  std::optional<NodeCoverage> coverage;  // set when a node meter measured the run
};

// Mean and peak activity of a channel between two instants, from its activity samples.
struct ActivitySummary {
  double mean_pct = 0.0;
  double max_pct = 0.0;
  std::size_t samples = 0;
};
std::optional<ActivitySummary> activity_between(const ChannelSeries& series, std::int64_t start_ns,
                                                std::int64_t end_ns);

// When the total is one node meter: the meter against the sum of the parts it contains, and
// the rest (fans, PSU losses, NICs, disks, ...). nullopt without a meter or without parts.
std::optional<NodeCoverage> node_coverage(const std::vector<ComponentResult>& components,
                                          const std::vector<std::size_t>& cover);

// Builds the components of a run over [start_ns, end_ns] from what the sampler recorded (the
// whole run, or the part so far for a checkpoint).
// `ended`: the run is over and its last round was taken after end_ns; a checkpoint's end lies
// up to one poll interval after each channel's newest reading, which is no cause for a warning.
WindowResult summarise_run(const Timeline& timeline, std::int64_t start_ns, std::int64_t end_ns,
                           const std::optional<CpuModel>& cpu_model, bool ended = true);

// For each channel id, the smallest channel with usable readings that contains it. A container
// that measured nothing cannot stand for its parts, which then count themselves; a core is in
// its package rather than in psys.
std::map<std::string, std::string> smallest_containers(const std::vector<ChannelInfo>& channels,
                                                       const std::vector<ChannelStats>& stats);

// Cross-checks every container against what it contains (docs/ACCURACY.md): one that reads
// clearly less than its measured parts (a psys counter that stopped, a node meter at 0 J), or
// that was lost while they went on, is set aside, its parts stand for themselves, and a warning
// says so.
// Without uncertainties (`known_uncertainty` false: an in-process window's cover, taken from
// counts alone) only a container that read nothing while its parts did is rejected.
void set_aside_containers(std::vector<ComponentResult>& components, std::vector<Warning>* warnings,
                          bool known_uncertainty = true);

// True when some channel measures CPU energy, so no model is needed.
bool has_cpu_channel(const std::vector<ChannelInfo>& channels);

// Picks the channels whose energies add up to the node without counting anything twice
// (docs/ARCHITECTURE.md §4.4): a node meter if there is one, else every channel that no other
// channel contains, leaving out devices whose overlap is unknown.
std::vector<std::size_t> total_cover(const std::vector<ComponentResult>& components);

}  // namespace jt
