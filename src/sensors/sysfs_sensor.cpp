// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/sysfs_sensor.hpp"

#include "core/clock.hpp"

namespace jt {

SysfsSensor::SysfsSensor(std::string_view backend, std::vector<ChannelInfo> channels,
                         std::vector<OpenAttribute> attributes)
    : backend_(backend), channels_(std::move(channels)), attributes_(std::move(attributes)) {}

void SysfsSensor::read(std::span<Reading> out) {
  // Reads follow each other directly, so the end of one read is the start of the next: one
  // clock call per channel instead of two.
  std::int64_t before = monotonic_ns();
  for (std::size_t i = 0; i < attributes_.size() && i < out.size(); ++i) {
    OpenAttribute& attr = attributes_[i];
    OpenAttribute::Value value = attr.read_u64();
    if (value.status == OpenAttribute::Status::kIoError && attr.reopen()) {
      // The zone may have been re-created (CPU hot-plug or a driver reload re-registers
      // powercap zones; a vanished device answers ENODEV, ESRCH or EIO depending on the
      // driver): follow the path. Only failed reads pay for the extra open.
      value = attr.read_u64();
    }
    const std::int64_t after = monotonic_ns();
    Reading& r = out[i];
    r.t_ns = before + (after - before) / 2;
    r.half_width_ns = (after - before) / 2;
    r.raw = value.value;
    r.error_number = reading_error_number(value.err);
    switch (value.status) {
      case OpenAttribute::Status::kOk: r.status = Reading::Status::kOk; break;
      case OpenAttribute::Status::kEmpty:
      case OpenAttribute::Status::kUnparsable: r.status = Reading::Status::kSkipped; break;
      case OpenAttribute::Status::kIoError: r.status = Reading::Status::kUnavailable; break;
    }
    before = after;
  }
}

}  // namespace jt
