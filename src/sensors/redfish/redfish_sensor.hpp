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
  bool houses_computer_system = false;
  ValueLocator locator;
  std::string read_path;  // the resource polled
  double first_value = 0.0;
  std::optional<double> accuracy_percent;
  std::optional<double> max_power_w;
  std::string sensor_reset_time;
};

struct Discovery {
  std::vector<std::string> chassis_ids;  // every member of the Chassis collection
  std::vector<Candidate> candidates;     // one per chassis that has a meter, in member order
  std::vector<std::string> problems;     // sub-resources that could not be read or parsed
};

// Walks the Chassis collection (only chassis `wanted` unless it is "auto") and finds each
// chassis's best meter. A transport or authentication failure stops the walk; a missing or
// malformed sub-resource is noted in `problems` and the walk goes on.
Fetch<Discovery> discover(Client& client, const std::string& wanted);

// The discovery rule, pure: chassis `wanted` when it is not "auto"; otherwise a chassis that
// houses a computer system before one that does not (a shelf or rack would count other nodes
// too), then the better source (SourceKind order), then the collection's order.
std::optional<std::size_t> choose(std::span<const Candidate> candidates, std::string_view wanted);

// The node meter of one BMC chassis.
class RedfishSensor final : public Sensor {
 public:
  RedfishSensor(std::unique_ptr<Client> client, ChannelInfo channel, ValueLocator locator,
                std::string read_path, double interval_s);
  std::string_view backend() const override { return "redfish"; }
  std::span<const ChannelInfo> channels() const override { return {&channel_, 1}; }
  void read(std::span<Reading> out) override;
  double min_interval_s() const override { return interval_s_; }
  // Why the last read was not kOk; empty after a good one.
  const std::string& last_error() const { return last_error_; }
  const Client& client() const { return *client_; }

 private:
  void read_locked(Reading& reading);
  std::unique_ptr<Client> client_;
  ChannelInfo channel_;
  ValueLocator locator_;
  std::string read_path_;
  double interval_s_;
  std::string last_error_;
  // Credentials refused this many times in a row are not tried again during the run: BMCs lock
  // out accounts and addresses that keep failing.
  static constexpr int kMaxAuthRefusals = 3;
  int auth_refusals_ = 0;
  bool refused_ = false;
};

}  // namespace jt::redfish
