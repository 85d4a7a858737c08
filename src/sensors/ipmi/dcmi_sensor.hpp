// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "sensors/bmc_backends.hpp"
#include "sensors/ipmi/dcmi_response.hpp"
#include "sensors/ipmi/ipmi_transport.hpp"
#include "sensors/sensor.hpp"

namespace jt {

inline constexpr std::string_view kDcmiBackend = "ipmi-dcmi";
// BMCs refresh the value about once a second or slower, vendor-defined (docs/backends/ipmi.md
// F4, unverified): the update period assumed until a platform is measured.
inline constexpr double kDcmiUpdatePeriodS = 1.0;
// Twice per assumed refresh: every refresh is seen, and the BMC, whose system interface other
// management traffic shares, gets at most two requests a second.
inline constexpr double kDcmiPollIntervalS = 0.5;
// Round trips take about 10-100 ms (docs/backends/ipmi.md F5). The probe's single request gets five
// times the slow end, so that a dead BMC cannot hang `jouletrace sensors`; a read during a
// run, which has its own thread, gets ten times.
inline constexpr std::chrono::milliseconds kDcmiProbeTimeout{500};
inline constexpr std::chrono::milliseconds kDcmiReadTimeout{1000};

// The node's power as the BMC reports it through DCMI Get Power Reading: one channel,
// `ipmi-dcmi/<device name>`, instantaneous watts that the sampler integrates (docs/ACCURACY.md
// A1).
class DcmiSensor final : public Sensor {
 public:
  DcmiSensor(std::unique_ptr<IpmiTransport> transport, ChannelInfo channel,
             DcmiPowerReading first_reading);

  std::string_view backend() const override { return kDcmiBackend; }
  std::span<const ChannelInfo> channels() const override { return {&channel_, 1}; }
  // kOk with the current watts; kUnavailable when the request fails, times out, is refused, is
  // malformed, the measurement is inactive or the BMC says 0 W; kLost from the moment the
  // device is gone (ENODEV, ENXIO), without asking again. Never throws.
  void read(std::span<Reading> out) override;
  double min_interval_s() const override { return kDcmiPollIntervalS; }

  // Why the last read was not kOk; empty after a good one.
  const std::string& last_problem() const { return last_problem_; }
  // The reading the probe took: proof that the BMC answers, and the first value shown.
  const DcmiPowerReading& first_reading() const { return first_reading_; }

 private:
  void read_one(Reading& reading);

  std::unique_ptr<IpmiTransport> transport_;
  ChannelInfo channel_;
  DcmiPowerReading first_reading_;
  IpmiRequest request_;
  bool lost_ = false;
  std::string last_problem_;
};

// Asks the BMC once (kDcmiProbeTimeout) and builds the sensor when it answers a valid, active
// reading. Errors keep the transport's kind (kPermissionDenied, kDeviceLost, ...) and the
// parser's (kUnsupported for 0xC1, 0xD5, 0xD6); an inactive measurement is kUnsupported.
Result<std::unique_ptr<DcmiSensor>> make_dcmi_sensor(std::unique_ptr<IpmiTransport> transport,
                                                     const std::string& device_name);

// make_dcmi_sensor as a probe: the sensor and a kPresent report, or no sensor and a report that
// says why. probe_dcmi ends here once it has opened the device; tests start here with a replay.
ProbeOutcome probe_dcmi_transport(std::unique_ptr<IpmiTransport> transport,
                                  const std::string& device_name);

}  // namespace jt
