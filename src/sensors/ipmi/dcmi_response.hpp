// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/result.hpp"
#include "sensors/ipmi/ipmi_transport.hpp"

namespace jt {

// DCMI "Get Power Reading" (docs/backends/ipmi.md F1, F2; after ipmitool's ipmi_dcmi_pwr_rd).
inline constexpr std::uint8_t kIpmiNetFnDcmiGroup = 0x2C;
inline constexpr std::uint8_t kDcmiCmdGetPowerReading = 0x02;
inline constexpr std::uint8_t kDcmiGroupExtensionId = 0xDC;
// Mode 0x01, "System Power Statistics": the instantaneous value is what jouletrace integrates.
// Mode 0x02 (DCMI 1.5 enhanced rolling average) is not used: see docs/backends/ipmi.md.
inline constexpr std::uint8_t kDcmiModeSystemPowerStatistics = 0x01;
// Bit 6 of the state byte: 1 = power measurement active.
inline constexpr std::uint8_t kDcmiStateMeasurementActive = 0x40;
// Completion code, group id, four uint16 powers, two uint32 (timestamp, period), state.
inline constexpr std::size_t kDcmiPowerReadingResponseSize = 1 + 1 + 4 * 2 + 2 * 4 + 1;

// Standard IPMI completion codes that a BMC may answer a DCMI request with.
inline constexpr std::uint8_t kIpmiCcOk = 0x00;
inline constexpr std::uint8_t kIpmiCcInvalidCommand = 0xC1;
inline constexpr std::uint8_t kIpmiCcTimeout = 0xC3;
inline constexpr std::uint8_t kIpmiCcInvalidDataField = 0xCC;
inline constexpr std::uint8_t kIpmiCcNotSupportedInPresentState = 0xD5;
inline constexpr std::uint8_t kIpmiCcSubFunctionDisabled = 0xD6;

struct DcmiPowerReading {
  std::uint16_t current_w = 0;
  std::uint16_t min_w = 0;  // min, max and avg cover the BMC's own statistics period
  std::uint16_t max_w = 0;
  std::uint16_t avg_w = 0;
  std::uint32_t timestamp_s = 0;  // IPMI time, seconds since the epoch, BMC clock
  std::uint32_t statistics_period_ms = 0;
  std::uint8_t state = 0;
  bool measurement_active = false;
};

// The request, mode 0x01: {0xDC, mode, mode attributes, reserved}.
IpmiRequest dcmi_power_reading_request();

// "Invalid command" for 0xC1 and the other standard codes (IPMI v2.0 table 5-2); for a code
// outside the table, its class: "OEM", "command-specific" or "unknown".
std::string ipmi_completion_code_name(std::uint8_t code);

// Parses a response, completion code first. Errors:
// - a non-zero completion code: kUnsupported for 0xC1, 0xD5 and 0xD6 (the BMC cannot give
//   this reading), kIo for the rest; the message names the code;
// - an empty, short or long response or a wrong group extension id: kInvalidData.
// An inactive measurement is not an error here: `measurement_active` says so.
Result<DcmiPowerReading> parse_dcmi_power_reading(std::span<const std::uint8_t> response);

}  // namespace jt
