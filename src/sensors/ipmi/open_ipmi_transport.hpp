// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "sensors/ipmi/ipmi_transport.hpp"

namespace jt {

// The three calls OpenIpmiTransport makes on the kernel's IPMI character device. Production
// uses the ioctls on an open /dev/ipmiN; tests script the calls, so that msgid matching, stale
// replies, deadlines and errno handling are checked without a BMC.
class IpmiCharDevice {
 public:
  struct Reply {
    bool is_response = false;  // IPMI_RESPONSE_RECV_TYPE; events and commands are not
    long msgid = 0;
    std::uint8_t netfn = 0;
    std::uint8_t cmd = 0;
    std::vector<std::uint8_t> data;  // completion code first
    bool truncated = false;          // longer than the receive buffer (EMSGSIZE)
  };

  virtual ~IpmiCharDevice() = default;
  // IPMICTL_SEND_COMMAND to the BMC's system interface. Returns 0 or an errno value.
  virtual int send(long msgid, const IpmiRequest& request) = 0;
  // poll() for a queued reply: 1 when one is waiting, 0 when none came within the timeout,
  // or an errno value as a negative number (ENODEV when the device reports an error or hangup).
  virtual int wait_readable(std::chrono::milliseconds timeout) = 0;
  // IPMICTL_RECEIVE_MSG_TRUNC. Returns 0 with `reply` filled, EAGAIN when the queue is empty,
  // or another errno value.
  virtual int receive(Reply& reply) = 0;
};

// IPMI over the Linux OpenIPMI driver (ipmi_devintf): one request in flight at a time, its
// reply found by msgid. A reply that arrives after its request timed out is stale: it is
// dropped when it turns up in front of a later reply, never taken for that one's answer.
class OpenIpmiTransport final : public IpmiTransport {
 public:
  // Opens `path` read-write. Errors: kNotFound when it does not exist, kPermissionDenied (with a
  // hint) on EACCES or EPERM, kIo otherwise. Whether the file is an IPMI device is only known at
  // the first send (ENOTTY: kUnsupported).
  static Result<std::unique_ptr<OpenIpmiTransport>> open(const std::filesystem::path& path);

  OpenIpmiTransport(std::unique_ptr<IpmiCharDevice> device, std::string name);

  Result<std::vector<std::uint8_t>> send(const IpmiRequest& request,
                                         std::chrono::milliseconds timeout) override;
  const std::string& describe() const override { return name_; }

  // Replies dropped because they answered an earlier request (or were no response at all).
  std::uint64_t stale_replies() const { return stale_replies_; }

 private:
  std::unexpected<Error> errno_error(const char* call, int error) const;

  std::unique_ptr<IpmiCharDevice> device_;
  std::string name_;
  long next_msgid_ = 1;
  std::uint64_t stale_replies_ = 0;
};

// The hint for a device the user may not open.
std::string ipmi_permission_hint(const std::filesystem::path& path);

}  // namespace jt
