#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sensors/backends.hpp"
#include "sensors/nvml/nvml_library.hpp"
#include "sensors/sensor.hpp"

namespace jt {

// Every usable GPU of one NVML library, one channel each (built by probe_nvml). It owns the
// library because device handles are only valid while NVML stays initialised.
class NvmlSensor final : public Sensor {
 public:
  struct Gpu {
    nvmlDevice_t device = nullptr;
    bool energy_counter = false;  // false: read power instead
    bool utilisation = false;     // nvmlDeviceGetUtilizationRates answers: tells idle from used
    bool lost = false;
  };

  // gpus[i] is read for channels[i].
  NvmlSensor(std::unique_ptr<NvmlLibrary> library, std::vector<ChannelInfo> channels,
             std::vector<Gpu> gpus);

  std::string_view backend() const override { return "nvml"; }
  std::span<const ChannelInfo> channels() const override { return channels_; }
  // A GPU that answers GPU_IS_LOST or GPU_NOT_FOUND is kLost from then on and never asked
  // again: it needs a reset to come back, which would restart its counter anyway. Only that
  // channel degrades, never the run.
  void read(std::span<Reading> out) override;

 private:
  std::unique_ptr<NvmlLibrary> library_;
  std::vector<ChannelInfo> channels_;
  std::vector<Gpu> gpus_;
};

}  // namespace jt
