#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sampler/sampler.hpp"
#include "sensors/sensor.hpp"

namespace jt {

enum class Method { kCounter, kPowerIntegrated, kModel };
const char* to_string(Method method);

// The parts of a component's uncertainty (SENSORS §9.3), in joules. Independent terms add in
// quadrature, the calibration term (systematic) linearly: total = sqrt(q^2 + u^2 + t^2) + c.
struct UncertaintyBudget {
  double quantisation_j = 0.0;     // one least significant bit per endpoint (x duration for power)
  double update_period_j = 0.0;    // each endpoint may be one hardware update period stale
  double timing_j = 0.0;           // average power x the time the endpoint reads took
  double calibration_j = 0.0;      // the sensor type's calibration error x the energy
  bool calibration_known = false;  // false: no published figure for this sensor type
  double total_j = 0.0;
};

// One component of the node over a window, with how its number was produced.
struct ComponentResult {
  std::string id;
  Domain domain = Domain::kOther;
  int index = 0;
  std::string device;
  std::string provenance;
  std::string note;
  Method method = Method::kCounter;
  double energy_j = 0.0;
  std::uint64_t samples = 0;
  std::uint64_t skipped_reads = 0;
  std::uint64_t failed_reads = 0;
  std::string last_read_error;  // why the last failed read failed, when the backend said
  std::uint64_t wraps = 0;
  int segments = 0;
  double gap_s = 0.0;
  double covered_s = 0.0;  // time between the first and the last reading used
  double avg_power_w = 0.0;
  double peak_power_w = 0.0;
  bool lost = false;
  double lost_at_s = 0.0;  // seconds after the window started
  bool in_total = false;
  std::string contained_in;  // id of the channel whose energy includes this one
  UncertaintyBudget uncertainty;
  // Idle/dynamic split from the node profile's calibrated baseline (SENSORS §9.4); unset when
  // this channel has none. idle = baseline power x covered time; dynamic = energy - idle.
  std::optional<double> idle_power_w;
  double idle_energy_j = 0.0;
  double dynamic_energy_j = 0.0;
  // How busy the device was over the window (channels with reports_activity), percent.
  std::optional<double> activity_mean_pct;
  std::optional<double> activity_max_pct;
};

// The whole-node meter compared with the sum of the parts it contains (ARCHITECTURE §4.4).
struct NodeCoverage {
  std::string node_meter_id;
  double node_energy_j = 0.0;
  double parts_energy_j = 0.0;  // the non-overlapping cover of the node without the meter
  std::vector<std::string> parts;
  double coverage = 0.0;       // parts / node
  double rest_energy_j = 0.0;  // node - parts: fans, PSU losses, NICs, disks, ...
  double rest_uncertainty_j = 0.0;
  std::string node_method;   // how the meter measured: counter or power-integrated
  std::string parts_method;  // counter, power-integrated, model or mixed
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
  double total_energy_j = 0.0;
  double total_uncertainty_j = 0.0;
  std::string total_method;  // counter, power-integrated, model, or mixed
  std::vector<std::string> total_cover;
  std::vector<std::string> warnings;
  std::optional<CpuModel> cpu_model;
  std::optional<NodeCoverage> coverage;  // set when a node meter measured the run
};

// The uncertainty of a channel's energy over a run (SENSORS §9.3): one LSB per endpoint (one
// LSB of power over the covered time for power channels), each endpoint stale by up to one
// update period (or sampling interval) at the peak power, the reads' own duration at the
// average power, and the sensor type's calibration error.
UncertaintyBudget component_uncertainty(const ChannelInfo& info, const ChannelStats& stats,
                                        const ComponentResult& component, double interval_s);

// Independent parts in quadrature across components, calibration terms linearly.
double combine_uncertainties(const std::vector<const UncertaintyBudget*>& parts);

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

// Builds the components of a finished sampling run over [start_ns, end_ns].
WindowResult summarise_run(const Sampler& sampler, std::int64_t start_ns, std::int64_t end_ns,
                           const std::optional<CpuModel>& cpu_model);

// For each channel id, the smallest channel with usable readings that contains it. A container
// that measured nothing cannot stand for its parts, which then count themselves; a core is in
// its package rather than in psys.
std::map<std::string, std::string> smallest_containers(const std::vector<ChannelInfo>& channels,
                                                       const std::vector<ChannelStats>& stats);

// "counter", "power-integrated" or "model" when all agree, "mixed" when not, "none" when empty.
std::string method_label(const std::set<Method>& methods);

// True when some channel measures CPU energy, so no model is needed.
bool has_cpu_channel(const std::vector<ChannelInfo>& channels);

// Picks the channels whose energies add up to the node without counting anything twice
// (ARCHITECTURE §4.4): a node meter if there is one, else every channel that no other
// channel contains, leaving out devices whose overlap is unknown.
std::vector<std::size_t> total_cover(const std::vector<ComponentResult>& components);

}  // namespace jt
