// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/ipmi/dcmi_response.hpp"

#include <fmt/format.h>

namespace jt {

namespace {

std::uint16_t le16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>(bytes[at] | (bytes[at + 1] << 8));
}

std::uint32_t le32(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint32_t>(bytes[at]) | (static_cast<std::uint32_t>(bytes[at + 1]) << 8) |
         (static_cast<std::uint32_t>(bytes[at + 2]) << 16) |
         (static_cast<std::uint32_t>(bytes[at + 3]) << 24);
}

const char* standard_completion_code_name(std::uint8_t code) {
  switch (code) {
    case 0x00: return "command completed normally";
    case 0xC0: return "node busy";
    case 0xC1: return "invalid command";
    case 0xC2: return "invalid command for LUN";
    case 0xC3: return "timeout while processing command";
    case 0xC4: return "out of space";
    case 0xC5: return "reservation canceled or invalid";
    case 0xC6: return "request data truncated";
    case 0xC7: return "request data length invalid";
    case 0xC8: return "request data field length limit exceeded";
    case 0xC9: return "parameter out of range";
    case 0xCA: return "cannot return number of requested data bytes";
    case 0xCB: return "requested sensor, data or record not present";
    case 0xCC: return "invalid data field in request";
    case 0xCD: return "command illegal for specified sensor or record type";
    case 0xCE: return "command response could not be provided";
    case 0xCF: return "cannot execute duplicated request";
    case 0xD0: return "SDR repository in update mode";
    case 0xD1: return "device in firmware update mode";
    case 0xD2: return "BMC initialization in progress";
    case 0xD3: return "destination unavailable";
    case 0xD4: return "insufficient privilege level";
    case 0xD5: return "command not supported in present state";
    case 0xD6: return "command sub-function disabled or unavailable";
    case 0xFF: return "unspecified error";
    default: return nullptr;
  }
}

}  // namespace

IpmiRequest dcmi_power_reading_request() {
  return IpmiRequest{kIpmiNetFnDcmiGroup,
                     kDcmiCmdGetPowerReading,
                     {kDcmiGroupExtensionId, kDcmiModeSystemPowerStatistics, 0x00, 0x00}};
}

std::string ipmi_completion_code_name(std::uint8_t code) {
  if (const char* name = standard_completion_code_name(code)) return name;
  // The ranges of IPMI v2.0 §5.2: device-specific (OEM) 01h-7Eh, command-specific 80h-BEh.
  if (code >= 0x01 && code <= 0x7E) return "device-specific (OEM) error";
  if (code >= 0x80 && code <= 0xBE) return "command-specific error";
  return "unknown completion code";
}

Result<DcmiPowerReading> parse_dcmi_power_reading(std::span<const std::uint8_t> response) {
  if (response.empty()) {
    return make_error(ErrorKind::kInvalidData,
                      "DCMI Get Power Reading: empty response (not even a completion code)");
  }
  const std::uint8_t code = response[0];
  if (code != kIpmiCcOk) {
    const std::string what = fmt::format("DCMI Get Power Reading: the BMC answered 0x{:02X} ({})",
                                         code, ipmi_completion_code_name(code));
    switch (code) {
      case kIpmiCcInvalidCommand:
        return make_error(ErrorKind::kUnsupported,
                          what + ": this BMC does not implement DCMI power readings");
      case kIpmiCcNotSupportedInPresentState:
      case kIpmiCcSubFunctionDisabled:
        return make_error(ErrorKind::kUnsupported,
                          what + ": power readings are off or unavailable on this BMC now");
      default: return make_error(ErrorKind::kIo, what);
    }
  }
  if (response.size() != kDcmiPowerReadingResponseSize) {
    return make_error(
        ErrorKind::kInvalidData,
        fmt::format("DCMI Get Power Reading: response of {} bytes, expected {} ({})",
                    response.size(), kDcmiPowerReadingResponseSize,
                    response.size() < kDcmiPowerReadingResponseSize ? "too short" : "too long"));
  }
  if (response[1] != kDcmiGroupExtensionId) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("DCMI Get Power Reading: group extension id 0x{:02X}, "
                                  "expected 0x{:02X} (not a DCMI response)",
                                  response[1], kDcmiGroupExtensionId));
  }
  DcmiPowerReading reading;
  reading.current_w = le16(response, 2);
  reading.min_w = le16(response, 4);
  reading.max_w = le16(response, 6);
  reading.avg_w = le16(response, 8);
  reading.timestamp_s = le32(response, 10);
  reading.statistics_period_ms = le32(response, 14);
  reading.state = response[18];
  reading.measurement_active = (reading.state & kDcmiStateMeasurementActive) != 0;
  return reading;
}

}  // namespace jt
