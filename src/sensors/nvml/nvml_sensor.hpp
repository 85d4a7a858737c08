// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sensors/backends.hpp"
#include "sensors/nvml/nvml_library.hpp"
#include "sensors/sensor.hpp"

namespace jt {

// GPUs of one NVML library, one channel each (built by probe_nvml). The sensors of one library
// share it, because device handles are only valid while NVML stays initialised.
//
// Where the energy counter is cheap it is the GPU's channel, read every round. Where one call
// costs milliseconds of CPU (2.6-5.6 ms on an H100 with driver 580, docs/backends/nvml.md), the
// fast lane reads the GPU's instantaneous power instead, and the counter gets a sensor of its own
// per GPU, polled every kCounterPeriodS, whose channel anchors the power channel's energy
// (ChannelInfo::anchors; the ledger joins them).
class NvmlSensor final : public Sensor {
 public:
  enum class Source {
    kEnergyCounter,  // nvmlDeviceGetTotalEnergyConsumption, mJ
    kInstantPower,   // nvmlDeviceGetFieldValues(NVML_FI_DEV_POWER_INSTANT), mW
    kPowerUsage,     // nvmlDeviceGetPowerUsage, mW (a 1-s average on Ampere and newer)
  };
  struct Gpu {
    nvmlDevice_t device = nullptr;
    Source source = Source::kEnergyCounter;
    bool utilisation = false;  // nvmlDeviceGetUtilizationRates answers: tells idle from used
    bool lost = false;
  };
  static constexpr double kCounterPeriodS = 1.0;

  // gpus[i] is read for channels[i]. min_interval_s > 0: polled in a lane of its own.
  NvmlSensor(std::shared_ptr<NvmlLibrary> library, std::vector<ChannelInfo> channels,
             std::vector<Gpu> gpus, double min_interval_s = 0.0);

  std::string_view backend() const override { return "nvml"; }
  std::span<const ChannelInfo> channels() const override { return channels_; }
  // A GPU that answers GPU_IS_LOST or GPU_NOT_FOUND is kLost from then on and never asked
  // again: it needs a reset to come back, which would restart its counter anyway. Only that
  // channel degrades, never the run.
  void read(std::span<Reading> out) override;
  double min_interval_s() const override { return min_interval_s_; }

 private:
  std::shared_ptr<NvmlLibrary> library_;
  std::vector<ChannelInfo> channels_;
  std::vector<Gpu> gpus_;
  double min_interval_s_;
};

}  // namespace jt
