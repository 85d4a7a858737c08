// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sensors/level_zero/level_zero_library.hpp"
#include "sensors/sensor.hpp"

namespace jt {

// The power domains of Intel GPUs through Level Zero Sysman, one channel per domain: the
// device's own and one per tile (docs/backends/intel.md). The device's contains its tiles'.
class LevelZeroSensor final : public Sensor {
 public:
  struct Domain {
    zes_pwr_handle_t handle = nullptr;
    // The device's all-engines group, for the device's own domain: its busy share between two
    // reads is the reading's activity (null: activity not reported).
    zes_engine_handle_t engines = nullptr;
    ZesEngineStats last_engines{};
    bool has_last_engines = false;
    bool lost = false;
  };
  LevelZeroSensor(std::shared_ptr<LevelZeroLibrary> library, std::vector<ChannelInfo> channels,
                  std::vector<Domain> domains);

  std::string_view backend() const override { return "level_zero"; }
  std::span<const ChannelInfo> channels() const override { return channels_; }
  // ZE_RESULT_ERROR_DEVICE_LOST makes the domain kLost for good (a reset restarts its counter).
  void read(std::span<Reading> out) override;

 private:
  std::shared_ptr<LevelZeroLibrary> library_;
  std::vector<ChannelInfo> channels_;
  std::vector<Domain> domains_;
};

}  // namespace jt
