// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sensors/amd_smi/amd_smi_library.hpp"
#include "sensors/sensor.hpp"

namespace jt {

// AMD GPUs through AMD SMI, one energy-counter channel each (docs/backends/amd.md). A GPU without
// the counter is left to ROCm SMI, next in the backend table.
class AmdSmiSensor final : public Sensor {
 public:
  struct Gpu {
    AmdSmiHandle handle = nullptr;
    bool utilisation = false;
    bool lost = false;
  };
  AmdSmiSensor(std::shared_ptr<AmdSmiLibrary> library, std::vector<ChannelInfo> channels,
               std::vector<Gpu> gpus);

  std::string_view backend() const override { return "amd_smi"; }
  std::span<const ChannelInfo> channels() const override { return channels_; }
  // NOT_FOUND or INPUT_OUT_OF_BOUNDS: the GPU is kLost for good; other failures kUnavailable.
  void read(std::span<Reading> out) override;

 private:
  std::shared_ptr<AmdSmiLibrary> library_;
  std::vector<ChannelInfo> channels_;
  std::vector<Gpu> gpus_;
};

}  // namespace jt
