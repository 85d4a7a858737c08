// SPDX-License-Identifier: BSD-3-Clause
// Fuzzes the DCMI Get Power Reading path: jt::parse_dcmi_power_reading on the raw bytes, the same
// bytes as a BMC's answer read through DcmiSensor over a ReplayTransport, and the bytes as the
// text of a replay fixture (jt::parse_replay_script).
//
// Invariants:
// - The parser accepts exactly 19 bytes with completion code 0x00 and group id 0xDC, and its
//   fields equal an independent little-endian decode; the active flag is bit 6 of the last byte.
// - Every rejection has a message; a non-zero completion code is named in it as 0xNN.
// - The sensor gives kOk exactly when the parser accepts, the measurement is active and the
//   value is non-zero, with raw = current watts; otherwise kUnavailable, with a reason, and
//   never kLost (only a vanished device is lost).
// - A replay script that parses has at least one step, and `loop` only with steps before it.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "sensors/ipmi/dcmi_response.hpp"
#include "sensors/ipmi/dcmi_sensor.hpp"
#include "support/ipmi_replay_transport.hpp"

namespace {

std::uint32_t reference_le(std::span<const std::uint8_t> bytes, std::size_t at, int width) {
  std::uint32_t value = 0;
  for (int i = width - 1; i >= 0; --i) {
    value = (value << 8) | bytes[at + static_cast<std::size_t>(i)];
  }
  return value;
}

std::vector<std::uint8_t> good_response() {
  return {0x00, 0xDC, 0x9C, 0x01, 0xB4, 0x00, 0x8F, 0x02, 0x8E, 0x01,
          0xC3, 0xB2, 0xA1, 0x66, 0xE8, 0x03, 0x00, 0x00, 0x40};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);

  const auto parsed = jt::parse_dcmi_power_reading(bytes);
  const bool well_formed = size == jt::kDcmiPowerReadingResponseSize && bytes[0] == 0x00 &&
                           bytes[1] == jt::kDcmiGroupExtensionId;
  JT_FUZZ_CHECK(parsed.has_value() == well_formed);
  if (parsed) {
    JT_FUZZ_CHECK(parsed->current_w == reference_le(bytes, 2, 2));
    JT_FUZZ_CHECK(parsed->min_w == reference_le(bytes, 4, 2));
    JT_FUZZ_CHECK(parsed->max_w == reference_le(bytes, 6, 2));
    JT_FUZZ_CHECK(parsed->avg_w == reference_le(bytes, 8, 2));
    JT_FUZZ_CHECK(parsed->timestamp_s == reference_le(bytes, 10, 4));
    JT_FUZZ_CHECK(parsed->statistics_period_ms == reference_le(bytes, 14, 4));
    JT_FUZZ_CHECK(parsed->state == bytes[18]);
    JT_FUZZ_CHECK(parsed->measurement_active == ((bytes[18] & 0x40) != 0));
  } else {
    const std::string& message = parsed.error().message;
    JT_FUZZ_CHECK(!message.empty());
    if (size > 0 && bytes[0] != 0x00) {
      char code[8];
      std::snprintf(code, sizeof code, "0x%02X", bytes[0]);
      JT_FUZZ_CHECK(message.find(code) != std::string::npos);
    }
  }

  // The same bytes as the BMC's second answer, after a good one for the probe.
  {
    jt::ReplayScript script;
    script.steps = {
        jt::ReplayStep::response(good_response()),
        jt::ReplayStep::response(std::vector<std::uint8_t>(bytes.begin(), bytes.end()))};
    auto sensor = jt::make_dcmi_sensor(std::make_unique<jt::ReplayTransport>(script), "ipmi0");
    JT_FUZZ_CHECK(sensor.has_value());
    jt::Reading reading;
    (*sensor)->read({&reading, 1});
    const bool usable = parsed && parsed->measurement_active && parsed->current_w != 0;
    if (usable) {
      JT_FUZZ_CHECK(reading.status == jt::Reading::Status::kOk);
      JT_FUZZ_CHECK(reading.raw == parsed->current_w);
      JT_FUZZ_CHECK((*sensor)->last_problem().empty());
    } else {
      JT_FUZZ_CHECK(reading.status == jt::Reading::Status::kUnavailable);
      JT_FUZZ_CHECK(reading.raw == 0);
      JT_FUZZ_CHECK(!(*sensor)->last_problem().empty());
    }
  }

  // The bytes as a replay fixture.
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto script = jt::parse_replay_script(text, "fuzz");
  if (script) {
    JT_FUZZ_CHECK(!script->steps.empty());
    for (const auto& step : script->steps) {
      if (step.kind == jt::ReplayStep::Kind::kResponse) JT_FUZZ_CHECK(step.bytes.size() <= size);
      if (step.kind == jt::ReplayStep::Kind::kFail) JT_FUZZ_CHECK(!step.message.empty());
    }
  } else {
    JT_FUZZ_CHECK(!script.error().message.empty());
  }
  return 0;
}
