// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sensors/redfish/redfish_client.hpp"
#include "sensors/redfish/redfish_json.hpp"
#include "sensors/sensor.hpp"

namespace jt::redfish {

// The best meter one chassis offers.
struct Candidate {
  std::string chassis_id;
  std::string chassis_name;
  std::string chassis_type;
  std::string contained_by;  // the chassis id this one is inside, if any
  bool houses_computer_system = false;
  ValueLocator locator;
  std::string read_path;  // the resource polled
  double first_value = 0.0;
  std::optional<double> accuracy_percent;
  std::optional<double> max_power_w;
  std::string sensor_reset_time;
  // An average over the BMC's own window (IntervalInMin), in seconds; 0 when not an average.
  double averaging_s = 0.0;
  // The smallest step of an energy reported in kWh, in joules (from the digits it is given
  // with); 0 when finer than the raw unit.
  double resolution_j = 0.0;
  // Another source of the same chassis, read beside this one when this one may be too coarse
  // for a short run (a kWh sensor next to PowerWatts): the ledger takes whichever is more
  // precise over the run.
  std::vector<Candidate> alternatives;
};

struct Discovery {
  std::vector<std::string> chassis_ids;  // every member of the Chassis collection
  std::vector<Candidate> candidates;     // one per chassis that has a meter, in member order
  std::vector<std::string> problems;     // sub-resources that could not be read or parsed
};

// Walks the Chassis collection (only chassis `wanted` unless it is "auto") and finds each
// chassis's best meter. A transport or authentication failure stops the walk; a missing or
// malformed sub-resource is noted in `problems` and the walk goes on.
Result<Discovery> discover(Client& client, const std::string& wanted);

// The discovery rule, pure (docs/backends/redfish.md): chassis `wanted` when it is not "auto";
// otherwise never a card, module or other device inside a chassis (ChassisType), then the one
// chassis that houses a computer system and is not inside another that does. When several
// remain, or none houses a system and several have a meter, nothing is chosen and `ambiguity`
// says which, so that the user names one.
struct Choice {
  std::optional<std::size_t> index;
  std::string ambiguity;
};
Choice choose(std::span<const Candidate> candidates, std::string_view wanted);

// One reading a RedfishSensor polls.
struct RedfishSource {
  ChannelInfo channel;
  ValueLocator locator;
  std::string read_path;
};

// The node meter of one BMC chassis: one channel, or two when a coarse energy reading has a
// power reading beside it. Sources that share a resource are served by one request per round.
class RedfishSensor final : public Sensor {
 public:
  RedfishSensor(std::unique_ptr<Client> client, std::vector<RedfishSource> sources,
                double interval_s);
  std::string_view backend() const override { return "redfish"; }
  std::span<const ChannelInfo> channels() const override { return channels_; }
  void read(std::span<Reading> out) override;
  double min_interval_s() const override { return interval_s_; }
  // Why the last read was not kOk; empty after a good one.
  const std::string& last_error() const { return last_error_; }
  const Client& client() const { return *client_; }

 private:
  void read_all(std::span<Reading> out);
  void read_one(std::size_t i, const Result<std::string>& body, Reading& reading);
  std::unique_ptr<Client> client_;
  std::vector<RedfishSource> sources_;
  std::vector<ChannelInfo> channels_;
  double interval_s_;
  std::string last_error_;
  // Credentials refused this many times in a row are not tried again during the run: BMCs lock
  // out accounts and addresses that keep failing.
  static constexpr int kMaxAuthRefusals = 3;
  int auth_refusals_ = 0;
  bool refused_ = false;
};

}  // namespace jt::redfish
