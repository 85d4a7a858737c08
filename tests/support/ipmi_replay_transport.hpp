// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "sensors/ipmi/ipmi_transport.hpp"

namespace jt {

// A test aid, never shipped: an IpmiTransport that answers from a script (recorded BMC answers,
// timeouts, failures), so tests and the fuzzer run the DCMI sensor without a BMC.

// One scripted answer of a ReplayTransport.
struct ReplayStep {
  enum class Kind { kResponse, kTimeout, kFail, kLost };
  Kind kind = Kind::kResponse;
  std::vector<std::uint8_t> bytes;  // kResponse: completion code first
  std::string message;              // kFail: why the request failed

  static ReplayStep response(std::vector<std::uint8_t> bytes);
  static ReplayStep timeout();
  static ReplayStep fail(std::string message);
  static ReplayStep lost();
};

struct ReplayScript {
  std::vector<ReplayStep> steps;
  bool loop = false;  // start over after the last step instead of failing
};

// Parses a replay fixture. One step a line:
//   00 dc 2c 01 ...   a response as hex bytes (a "0x" prefix is allowed), completion code first
//   timeout           the request times out
//   fail <message>    the request fails with an I/O error
//   lost              the device is gone (as ENODEV); every later request fails the same way
//   loop              (last step only) start over from the first step
// Blank lines and '#' comments are ignored. Errors name the line.
Result<ReplayScript> parse_replay_script(std::string_view text, std::string_view source);

// A transport that answers from a script: tests and fuzzing run the production path from
// response bytes to readings without a BMC.
class ReplayTransport final : public IpmiTransport {
 public:
  explicit ReplayTransport(ReplayScript script, std::string name = "replay");
  static Result<std::unique_ptr<ReplayTransport>> from_file(const std::filesystem::path& path);

  // The next step's answer. Once the script ends (without `loop`), every request fails with
  // kIo; after a `lost` step, every request fails with kDeviceLost.
  Result<std::vector<std::uint8_t>> send(const IpmiRequest& request,
                                         std::chrono::milliseconds timeout) override;
  const std::string& describe() const override { return name_; }

  // What was asked, in order, with the timeout given each time.
  const std::vector<IpmiRequest>& requests() const { return requests_; }
  const std::vector<std::chrono::milliseconds>& timeouts() const { return timeouts_; }

 private:
  ReplayScript script_;
  std::string name_;
  std::size_t next_ = 0;
  bool lost_ = false;
  std::vector<IpmiRequest> requests_;
  std::vector<std::chrono::milliseconds> timeouts_;
};

}  // namespace jt
