// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/ipmi/dcmi_response.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace jt {
namespace {

using Bytes = std::vector<std::uint8_t>;

// 412 W now, 180 / 655 / 398 W min / max / average, IPMI time 0x66A1B2C3, 1000 ms period.
Bytes good_response(std::uint8_t state = 0x40) {
  return {0x00, 0xDC, 0x9C, 0x01, 0xB4, 0x00, 0x8F, 0x02, 0x8E, 0x01,
          0xC3, 0xB2, 0xA1, 0x66, 0xE8, 0x03, 0x00, 0x00, state};
}

using test::contains;

TEST(DcmiResponse, RequestIsGetPowerReadingInSystemPowerStatisticsMode) {
  const IpmiRequest request = dcmi_power_reading_request();
  EXPECT_EQ(request.netfn, 0x2C);
  EXPECT_EQ(request.cmd, 0x02);
  EXPECT_EQ(request.data, (Bytes{0xDC, 0x01, 0x00, 0x00}));
}

TEST(DcmiResponse, DecodesThePackedLittleEndianFields) {
  const auto reading = parse_dcmi_power_reading(good_response());
  ASSERT_TRUE(reading.has_value()) << reading.error().message;
  EXPECT_EQ(reading->current_w, 412);
  EXPECT_EQ(reading->min_w, 180);
  EXPECT_EQ(reading->max_w, 655);
  EXPECT_EQ(reading->avg_w, 398);
  EXPECT_EQ(reading->timestamp_s, 0x66A1B2C3u);
  EXPECT_EQ(reading->statistics_period_ms, 1000u);
  EXPECT_EQ(reading->state, 0x40);
  EXPECT_TRUE(reading->measurement_active);
}

TEST(DcmiResponse, LargestValuesDecodeWithoutSignOrOverflow) {
  Bytes bytes = good_response();
  for (std::size_t i = 2; i < 18; ++i) bytes[i] = 0xFF;
  const auto reading = parse_dcmi_power_reading(bytes);
  ASSERT_TRUE(reading.has_value());
  EXPECT_EQ(reading->current_w, 65535);
  EXPECT_EQ(reading->avg_w, 65535);
  EXPECT_EQ(reading->timestamp_s, 0xFFFFFFFFu);
  EXPECT_EQ(reading->statistics_period_ms, 0xFFFFFFFFu);
}

TEST(DcmiResponse, OnlyBitSixOfTheStateMeansActive) {
  EXPECT_FALSE(parse_dcmi_power_reading(good_response(0x00))->measurement_active);
  EXPECT_FALSE(parse_dcmi_power_reading(good_response(0xBF))->measurement_active);
  EXPECT_TRUE(parse_dcmi_power_reading(good_response(0x40))->measurement_active);
  EXPECT_TRUE(parse_dcmi_power_reading(good_response(0xFF))->measurement_active);
}

TEST(DcmiResponse, CommonCompletionCodesAreNamed) {
  struct Case {
    std::uint8_t code;
    ErrorKind kind;
    const char* name;
  };
  const Case cases[] = {
      {0xC1, ErrorKind::kUnsupported, "0xC1 (invalid command): this BMC does not implement DCMI"},
      {0xC3, ErrorKind::kIo, "0xC3 (timeout while processing command)"},
      {0xCC, ErrorKind::kIo, "0xCC (invalid data field in request)"},
      {0xD5, ErrorKind::kUnsupported, "0xD5 (command not supported in present state)"},
      {0xD6, ErrorKind::kUnsupported, "0xD6 (command sub-function disabled or unavailable)"},
      {0xC0, ErrorKind::kIo, "0xC0 (node busy)"},
      {0xD4, ErrorKind::kIo, "0xD4 (insufficient privilege level)"},
      {0xFF, ErrorKind::kIo, "0xFF (unspecified error)"},
  };
  for (const auto& c : cases) {
    // A refusal is a refusal whether or not the BMC appended data after the code.
    for (Bytes bytes : {Bytes{c.code}, good_response()}) {
      bytes[0] = c.code;
      const auto reading = parse_dcmi_power_reading(bytes);
      ASSERT_FALSE(reading.has_value()) << fmt::format("0x{:02X}", c.code);
      EXPECT_EQ(reading.error().kind, c.kind) << reading.error().message;
      EXPECT_TRUE(contains(reading.error().message, c.name)) << reading.error().message;
    }
  }
}

TEST(DcmiResponse, EveryNonZeroCompletionCodeIsAnErrorThatShowsTheCode) {
  for (int code = 1; code <= 0xFF; ++code) {
    Bytes bytes = good_response();
    bytes[0] = static_cast<std::uint8_t>(code);
    const auto reading = parse_dcmi_power_reading(bytes);
    ASSERT_FALSE(reading.has_value()) << code;
    EXPECT_TRUE(contains(reading.error().message, fmt::format("answered 0x{:02X} (", code)))
        << reading.error().message;
  }
  EXPECT_EQ(ipmi_completion_code_name(0x01), "device-specific (OEM) error");
  EXPECT_EQ(ipmi_completion_code_name(0x7E), "device-specific (OEM) error");
  EXPECT_EQ(ipmi_completion_code_name(0x80), "command-specific error");
  EXPECT_EQ(ipmi_completion_code_name(0xBE), "command-specific error");
  EXPECT_EQ(ipmi_completion_code_name(0xE0), "unknown completion code");
}

TEST(DcmiResponse, EmptyResponseHasNoCompletionCode) {
  const auto reading = parse_dcmi_power_reading(Bytes{});
  ASSERT_FALSE(reading.has_value());
  EXPECT_EQ(reading.error().kind, ErrorKind::kInvalidData);
  EXPECT_TRUE(contains(reading.error().message, "empty response")) << reading.error().message;
}

TEST(DcmiResponse, EveryShortLengthIsRejected) {
  const Bytes full = good_response();
  for (std::size_t size = 1; size < full.size(); ++size) {
    const Bytes bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(size));
    const auto reading = parse_dcmi_power_reading(bytes);
    ASSERT_FALSE(reading.has_value()) << size;
    EXPECT_EQ(reading.error().kind, ErrorKind::kInvalidData);
    EXPECT_TRUE(contains(reading.error().message,
                         fmt::format("response of {} bytes, expected 19 (too short)", size)))
        << reading.error().message;
  }
}

TEST(DcmiResponse, LongResponseIsRejected) {
  for (const std::size_t extra : {1u, 21u}) {
    Bytes bytes = good_response();
    bytes.resize(bytes.size() + extra, 0x00);
    const auto reading = parse_dcmi_power_reading(bytes);
    ASSERT_FALSE(reading.has_value());
    EXPECT_EQ(reading.error().kind, ErrorKind::kInvalidData);
    EXPECT_TRUE(contains(reading.error().message, "too long")) << reading.error().message;
  }
}

TEST(DcmiResponse, WrongGroupExtensionIdIsNotDcmi) {
  Bytes bytes = good_response();
  bytes[1] = 0xDD;
  const auto reading = parse_dcmi_power_reading(bytes);
  ASSERT_FALSE(reading.has_value());
  EXPECT_EQ(reading.error().kind, ErrorKind::kInvalidData);
  EXPECT_TRUE(contains(reading.error().message, "group extension id 0xDD, expected 0xDC"))
      << reading.error().message;
}

}  // namespace
}  // namespace jt
