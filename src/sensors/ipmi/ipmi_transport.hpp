// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace jt {

// One IPMI request to the BMC: network function, command and its data bytes.
struct IpmiRequest {
  std::uint8_t netfn = 0;
  std::uint8_t cmd = 0;
  std::vector<std::uint8_t> data;
};

// The seam between the DCMI code and the wire: the kernel's OpenIPMI device in production, a
// scripted replay in tests, so both run the same path from response bytes to readings.
class IpmiTransport {
 public:
  virtual ~IpmiTransport() = default;
  // The response bytes, completion code first, or why there is none. Errors use
  // ErrorKind::kDeviceLost when the device is gone for good (ENODEV, ENXIO), so that the
  // caller can stop asking; a timeout is ErrorKind::kIo with a message that says so.
  virtual Result<std::vector<std::uint8_t>> send(const IpmiRequest& request,
                                                 std::chrono::milliseconds timeout) = 0;
  // Where the responses come from, for provenance and messages: "/dev/ipmi0", "replay ...".
  virtual const std::string& describe() const = 0;
};

// The one wording of "no answer in time", shared by every transport so that a replayed timeout
// reads exactly like a real one.
inline std::unexpected<Error> ipmi_timeout_error(const std::string& where,
                                                 std::chrono::milliseconds timeout) {
  return make_error(ErrorKind::kIo, where + ": no response from the BMC within " +
                                        std::to_string(timeout.count()) + " ms (timed out)");
}

}  // namespace jt
