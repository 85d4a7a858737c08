// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/sysfs_file.hpp"
#include "sensors/sensor.hpp"

namespace jt {

// A sensor whose channels are each one decimal sysfs attribute (powercap energy_uj, hwmon
// energy/power inputs). Each read is one pread on a file descriptor kept open.
class SysfsSensor final : public Sensor {
 public:
  SysfsSensor(std::string_view backend, std::vector<ChannelInfo> channels,
              std::vector<OpenAttribute> attributes);
  std::string_view backend() const override { return backend_; }
  std::span<const ChannelInfo> channels() const override { return channels_; }
  void read(std::span<Reading> out) override;

 private:
  std::string_view backend_;
  std::vector<ChannelInfo> channels_;
  std::vector<OpenAttribute> attributes_;
};

}  // namespace jt
