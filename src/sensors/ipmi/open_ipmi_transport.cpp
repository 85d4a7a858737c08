// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/ipmi/open_ipmi_transport.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/ipmi.h>
#include <poll.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/unique_fd.hpp"

namespace jt {

namespace {

using Clock = std::chrono::steady_clock;

const char* errno_symbol(int error) {
  switch (error) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOTTY: return "ENOTTY";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOMEM: return "ENOMEM";
    case EBADF: return "EBADF";
    case EIO: return "EIO";
    default: return "errno";
  }
}

std::string describe_errno(int error) {
  return fmt::format("{} ({} {})", std::strerror(error), errno_symbol(error), error);
}

class FdIpmiCharDevice final : public IpmiCharDevice {
 public:
  explicit FdIpmiCharDevice(UniqueFd fd) : fd_(std::move(fd)) {}

  int send(long msgid, const IpmiRequest& request) override {
    // The BMC itself, through the system interface (KCS, SMIC, BT or SSIF) of this host.
    ipmi_system_interface_addr address{};
    address.addr_type = IPMI_SYSTEM_INTERFACE_ADDR_TYPE;
    address.channel = IPMI_BMC_CHANNEL;
    address.lun = 0;
    std::vector<unsigned char> data(request.data.begin(), request.data.end());
    ipmi_req req{};
    req.addr = reinterpret_cast<unsigned char*>(&address);
    req.addr_len = sizeof address;
    req.msgid = msgid;
    req.msg.netfn = request.netfn;
    req.msg.cmd = request.cmd;
    req.msg.data_len = static_cast<unsigned short>(data.size());
    req.msg.data = data.empty() ? nullptr : data.data();
    while (::ioctl(fd_.get(), IPMICTL_SEND_COMMAND, &req) < 0) {
      if (errno != EINTR) return errno;
    }
    return 0;
  }

  int wait_readable(std::chrono::milliseconds timeout) override {
    pollfd entry{fd_.get(), POLLIN, 0};
    const int rc = ::poll(&entry, 1, static_cast<int>(timeout.count()));
    if (rc < 0) return -errno;
    if (rc == 0) return 0;
    if ((entry.revents & POLLNVAL) != 0) return -EBADF;
    if ((entry.revents & POLLIN) != 0) return 1;
    // An error or hangup with nothing to read: the interface went away under us.
    return -ENODEV;
  }

  int receive(Reply& reply) override {
    unsigned char data[IPMI_MAX_MSG_LENGTH];
    ipmi_addr address{};
    ipmi_recv recv{};
    recv.addr = reinterpret_cast<unsigned char*>(&address);
    recv.addr_len = sizeof address;
    recv.msg.data = data;
    recv.msg.data_len = sizeof data;
    int rc = 0;
    while ((rc = ::ioctl(fd_.get(), IPMICTL_RECEIVE_MSG_TRUNC, &recv)) < 0 && errno == EINTR) {
    }
    // With _TRUNC, EMSGSIZE still hands over the message, cut to the buffer.
    if (rc < 0 && errno != EMSGSIZE) return errno;
    reply.truncated = rc < 0;
    reply.is_response = recv.recv_type == IPMI_RESPONSE_RECV_TYPE;
    reply.msgid = recv.msgid;
    reply.netfn = recv.msg.netfn;
    reply.cmd = recv.msg.cmd;
    const std::size_t length = std::min<std::size_t>(recv.msg.data_len, sizeof data);
    reply.data.assign(data, data + length);
    return 0;
  }

 private:
  UniqueFd fd_;
};

}  // namespace

std::string ipmi_permission_hint(const std::filesystem::path& path) {
  return fmt::format(
      "{} is root-only by default: run jouletrace as root, have the node agent run (`jouletrace "
      "agent`, docs/AGENT.md), which jouletrace then asks without being told, or "
      "give a group access with a udev rule such as KERNEL==\"ipmi*\", GROUP=\"ipmi\", "
      "MODE=\"0660\"",
      path.string());
}

Result<std::unique_ptr<OpenIpmiTransport>> OpenIpmiTransport::open(
    const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    const std::string what = path.string() + ": cannot open: " + describe_errno(error);
    switch (error) {
      case ENOENT: return make_error(ErrorKind::kNotFound, what);
      case EACCES:
      case EPERM: return make_error(ErrorKind::kPermissionDenied, what, ipmi_permission_hint(path));
      case ENODEV:
      case ENXIO:
        return make_error(ErrorKind::kNotFound,
                          what + ": the device node exists but no IPMI interface is behind it");
      default: return make_error(ErrorKind::kIo, what);
    }
  }
  return std::make_unique<OpenIpmiTransport>(std::make_unique<FdIpmiCharDevice>(UniqueFd(fd)),
                                             path.string());
}

OpenIpmiTransport::OpenIpmiTransport(std::unique_ptr<IpmiCharDevice> device, std::string name)
    : device_(std::move(device)), name_(std::move(name)) {}

std::unexpected<Error> OpenIpmiTransport::errno_error(const char* call, int error) const {
  const std::string what = fmt::format("{}: {} failed: {}", name_, call, describe_errno(error));
  switch (error) {
    case ENOTTY:
      return make_error(ErrorKind::kUnsupported,
                        what + ": not an IPMI device (the OpenIPMI ioctls are not supported)");
    case ENODEV:
    case ENXIO: return make_error(ErrorKind::kDeviceLost, what + ": the IPMI interface is gone");
    case EACCES:
    case EPERM: return make_error(ErrorKind::kPermissionDenied, what, ipmi_permission_hint(name_));
    default: return make_error(ErrorKind::kIo, what);
  }
}

Result<std::vector<std::uint8_t>> OpenIpmiTransport::send(const IpmiRequest& request,
                                                          std::chrono::milliseconds timeout) {
  const long msgid = next_msgid_++;
  if (const int error = device_->send(msgid, request); error != 0) {
    return errno_error("IPMICTL_SEND_COMMAND", error);
  }
  const auto deadline = Clock::now() + timeout;
  // A response carries the request's netfn + 1 (IPMI: responses use the odd netfn).
  const auto response_netfn = static_cast<std::uint8_t>(request.netfn | 1U);
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return ipmi_timeout_error(name_, timeout);
    const int ready = device_->wait_readable(left);
    if (ready == -EINTR) continue;
    if (ready < 0) return errno_error("poll", -ready);
    if (ready == 0) return ipmi_timeout_error(name_, timeout);

    IpmiCharDevice::Reply reply;
    const int error = device_->receive(reply);
    if (error == EAGAIN) continue;  // woken, but another reader took it or nothing was queued
    if (error != 0) return errno_error("IPMICTL_RECEIVE_MSG_TRUNC", error);
    if (!reply.is_response || reply.msgid != msgid) {
      ++stale_replies_;
      continue;
    }
    if (reply.netfn != response_netfn || reply.cmd != request.cmd) {
      return make_error(
          ErrorKind::kInvalidData,
          fmt::format("{}: the reply to request {} is for netfn 0x{:02X} cmd 0x{:02X}, "
                      "expected netfn 0x{:02X} cmd 0x{:02X}",
                      name_, msgid, reply.netfn, reply.cmd, response_netfn, request.cmd));
    }
    if (reply.truncated) {
      return make_error(
          ErrorKind::kInvalidData,
          fmt::format("{}: the reply to request {} is longer than {} bytes (EMSGSIZE)", name_,
                      msgid, reply.data.size()));
    }
    return std::move(reply.data);
  }
}

}  // namespace jt
