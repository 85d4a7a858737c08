// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/ipmi/dcmi_sensor.hpp"

#include <fmt/format.h>

#include <array>
#include <exception>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "sensors/ipmi/open_ipmi_transport.hpp"

namespace jt {

namespace {

constexpr const char* kNote =
    "BMC node power from DCMI Get Power Reading: instantaneous, whole watts (1 W resolution), "
    "integrated over time by the trapezoid rule. What it covers is platform-defined (some BMCs "
    "measure only CPUs and board, without GPUs): check it against PSU input sensors or a PDU. "
    "The 1 s refresh is an assumption, not a measured rate";

ProbeReport make_report(ProbeReport::Status status, std::string detail, std::string hint = {}) {
  return ProbeReport{std::string(kDcmiBackend), status, std::move(detail), std::move(hint)};
}

// Why a valid response still gives no number; empty when it gives one.
std::string unusable_reason(const DcmiPowerReading& reading) {
  if (!reading.measurement_active) {
    return fmt::format(
        "DCMI Get Power Reading: the BMC reports power measurement inactive (state byte 0x{:02X}, "
        "bit 6 clear)",
        reading.state);
  }
  // A running node draws power; a BMC that says 0 W has no measurement to give.
  if (reading.current_w == 0) return "DCMI Get Power Reading: the BMC reports 0 W (no measurement)";
  return {};
}

ChannelInfo make_channel(const std::string& device_name, const IpmiTransport& transport) {
  ChannelInfo channel;
  channel.id = std::string(kDcmiBackend) + "/" + device_name;
  channel.domain = Domain::kNode;
  channel.identity = identity_of(Domain::kNode, 0);
  channel.device = "BMC node meter (" + device_name + ")";
  channel.quantity = Quantity::kInstantPower;
  channel.scale = 1.0;
  channel.raw_unit = "W";
  channel.update_period_s = kDcmiUpdatePeriodS;
  channel.provenance =
      fmt::format("{} DCMI Get Power Reading (NetFn 0x{:02X}, cmd 0x{:02X}, mode 0x{:02X})",
                  transport.describe(), kIpmiNetFnDcmiGroup, kDcmiCmdGetPowerReading,
                  kDcmiModeSystemPowerStatistics);
  channel.note = kNote;
  return channel;
}

}  // namespace

DcmiSensor::DcmiSensor(std::unique_ptr<IpmiTransport> transport, ChannelInfo channel,
                       DcmiPowerReading first_reading)
    : transport_(std::move(transport)),
      channel_(std::move(channel)),
      first_reading_(first_reading),
      request_(dcmi_power_reading_request()) {}

void DcmiSensor::read(std::span<Reading> out) {
  if (out.empty()) return;
  Reading& reading = out[0];
  reading.raw = 0;
  reading.half_width_ns = 0;
  reading.status = Reading::Status::kUnavailable;
  try {
    read_one(reading);
  } catch (const std::exception& e) {
    // Only allocation can throw here; the reading stays unavailable, the run goes on.
    reading.raw = 0;
    reading.status = Reading::Status::kUnavailable;
    last_problem_ = std::string("DCMI read failed: ") + e.what();
  }
}

void DcmiSensor::read_one(Reading& reading) {
  if (lost_) {
    reading.t_ns = monotonic_ns();
    reading.status = Reading::Status::kLost;
    return;
  }
  const std::int64_t before = monotonic_ns();
  auto response = transport_->send(request_, kDcmiReadTimeout);
  const std::int64_t after = monotonic_ns();
  reading.half_width_ns = (after - before) / 2;
  reading.t_ns = before + reading.half_width_ns;

  if (!response) {
    last_problem_ = response.error().message;
    if (response.error().kind == ErrorKind::kDeviceLost) {
      lost_ = true;
      reading.status = Reading::Status::kLost;
    }
    return;
  }
  const auto parsed = parse_dcmi_power_reading(*response);
  if (!parsed) {
    last_problem_ = transport_->describe() + ": " + parsed.error().message;
    return;
  }
  if (std::string why = unusable_reason(*parsed); !why.empty()) {
    last_problem_ = transport_->describe() + ": " + std::move(why);
    return;
  }
  reading.raw = parsed->current_w;
  reading.status = Reading::Status::kOk;
  last_problem_.clear();
}

Result<std::unique_ptr<DcmiSensor>> make_dcmi_sensor(std::unique_ptr<IpmiTransport> transport,
                                                     const std::string& device_name) {
  if (!transport) return make_error(ErrorKind::kIo, "DCMI: no IPMI transport");
  if (device_name.empty()) return make_error(ErrorKind::kInvalidData, "DCMI: empty device name");
  auto response = transport->send(dcmi_power_reading_request(), kDcmiProbeTimeout);
  if (!response) return std::unexpected(response.error());
  auto parsed = parse_dcmi_power_reading(*response);
  if (!parsed) {
    Error error = parsed.error();
    error.message = transport->describe() + ": " + error.message;
    return std::unexpected(std::move(error));
  }
  if (!parsed->measurement_active) {
    return make_error(ErrorKind::kUnsupported, transport->describe() + ": " +
                                                   unusable_reason(*parsed) +
                                                   "; no node meter without an active measurement");
  }
  ChannelInfo channel = make_channel(device_name, *transport);
  return std::make_unique<DcmiSensor>(std::move(transport), std::move(channel), *parsed);
}

ProbeOutcome probe_dcmi_transport(std::unique_ptr<IpmiTransport> transport,
                                  const std::string& device_name) {
  ProbeOutcome outcome;
  auto sensor = make_dcmi_sensor(std::move(transport), device_name);
  if (!sensor) {
    outcome.reports.push_back(probe_report(kDcmiBackend, sensor.error()));
    return outcome;
  }
  const DcmiPowerReading& first = (*sensor)->first_reading();
  const ChannelInfo& channel = (*sensor)->channels()[0];
  std::string detail = fmt::format(
      "{}: node power {} W now (min {} W, max {} W, average {} W over the BMC's "
      "{} s statistics period); {}",
      channel.id, first.current_w, first.min_w, first.max_w, first.avg_w,
      first.statistics_period_ms / 1000, channel.provenance);
  if (first.current_w == 0) detail += "; the BMC reports 0 W now: readings wait for a value";
  outcome.reports.push_back(make_report(ProbeReport::Status::kPresent, std::move(detail)));
  outcome.sensors.push_back(std::move(*sensor));
  return outcome;
}

ProbeOutcome probe_dcmi(const ProbeContext& context) {
  // /dev/ipmi0 is the kernel's name (ipmi_devintf); some udev rules make ipmi/0 or ipmidev/0.
  const std::array<std::filesystem::path, 3> candidates = {context.dev_root / "ipmi0",
                                                           context.dev_root / "ipmi" / "0",
                                                           context.dev_root / "ipmidev" / "0"};
  for (const auto& path : candidates) {
    std::error_code ec;
    const auto status = std::filesystem::symlink_status(path, ec);
    if (ec || !std::filesystem::exists(status)) continue;
    auto transport = OpenIpmiTransport::open(path);
    if (!transport && transport.error().kind == ErrorKind::kNotFound) continue;
    if (!transport) {
      ProbeOutcome outcome;
      outcome.reports.push_back(probe_report(kDcmiBackend, transport.error()));
      return outcome;
    }
    return probe_dcmi_transport(std::move(*transport), "ipmi0");
  }
  ProbeOutcome outcome;
  outcome.reports.push_back(make_report(
      ProbeReport::Status::kAbsent,
      fmt::format("no IPMI device (none of {}, {}, {})", candidates[0].string(),
                  candidates[1].string(), candidates[2].string()),
      "on a node with a BMC, load the kernel's IPMI drivers: modprobe ipmi_si ipmi_devintf"));
  return outcome;
}

}  // namespace jt
