// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sensors/rocm_smi/rocm_smi_library.hpp"
#include "sensors/sensor.hpp"

namespace jt {

// AMD GPUs of one ROCm SMI library, one channel each (built by probe_rocm_smi,
// docs/backends/amd.md). The sensors share the library: device indices are only valid while it
// stays initialised.
class RocmSmiSensor final : public Sensor {
 public:
  enum class Source {
    kEnergyCounter,  // rsmi_dev_energy_count_get, in units of its counter resolution (uJ)
    kAveragePower,   // rsmi_dev_power_ave_get, uW
  };
  struct Gpu {
    std::uint32_t index = 0;
    Source source = Source::kEnergyCounter;
    bool utilisation = false;  // rsmi_dev_busy_percent_get answers: tells idle from used
    bool lost = false;
  };

  RocmSmiSensor(std::shared_ptr<RocmSmiLibrary> library, std::vector<ChannelInfo> channels,
                std::vector<Gpu> gpus);

  std::string_view backend() const override { return "rocm_smi"; }
  std::span<const ChannelInfo> channels() const override { return channels_; }
  // A GPU whose index the library no longer knows (NOT_FOUND, INPUT_OUT_OF_BOUNDS) is kLost from
  // then on; a FILE_ERROR (its sysfs file unreadable this time) is kUnavailable and asked again.
  void read(std::span<Reading> out) override;

 private:
  std::shared_ptr<RocmSmiLibrary> library_;
  std::vector<ChannelInfo> channels_;
  std::vector<Gpu> gpus_;
};

// MI300A is an APU: what AMD's libraries report is the socket's power, its CPU cores included,
// which RAPL reads too (docs/backends/amd.md A5). The channel becomes a module holding the CPU
// packages found before it. Shared by the AMD SMI and ROCm SMI backends.
void model_amd_apu(ChannelInfo& channel, const ProbeContext& context);

}  // namespace jt
