// SPDX-License-Identifier: BSD-3-Clause
#pragma once

// RAPL energy counters read straight from the model-specific registers through the msr driver
// (/dev/cpu/<N>/msr). Used when powercap is missing or unreadable; the register map, units and
// quirks are facts F1-F4 of docs/backends/msr.md and F6-F7 of docs/backends/powercap.md, and
// this backend's choices are in the rest of docs/backends/msr.md.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/unique_fd.hpp"
#include "sensors/sensor.hpp"

namespace jt {

// Register addresses (docs/backends/msr.md F2 for Intel, F3 for AMD and Hygon).
namespace msr {
inline constexpr std::uint32_t kRaplPowerUnit = 0x606;
inline constexpr std::uint32_t kPkgEnergyStatus = 0x611;
inline constexpr std::uint32_t kPkgPowerInfo = 0x614;
inline constexpr std::uint32_t kDramEnergyStatus = 0x619;
inline constexpr std::uint32_t kPp0EnergyStatus = 0x639;
inline constexpr std::uint32_t kPp1EnergyStatus = 0x641;
inline constexpr std::uint32_t kPlatformEnergyStatus = 0x64D;
inline constexpr std::uint32_t kAmdRaplPowerUnit = 0xC0010299;
inline constexpr std::uint32_t kAmdCoreEnergyStatus = 0xC001029A;
inline constexpr std::uint32_t kAmdPkgEnergyStatus = 0xC001029B;
}  // namespace msr

// One open /dev/cpu/<N>/msr. Kept open for the sensor's life so that a sample costs one pread().
class MsrFile {
 public:
  // On failure the Error's kind says absent (kNotFound), permission denied or other.
  static Result<MsrFile> open(const std::filesystem::path& path);

  struct Value {
    bool ok = false;
    std::uint64_t value = 0;
    int err = 0;  // errno of a failed pread; 0 for a short read
  };
  // Reads the 64-bit register at `address`. Never throws, never allocates.
  Value read(std::uint32_t address) const noexcept;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  UniqueFd fd_;
};

class MsrSensor final : public Sensor {
 public:
  struct Created {
    std::unique_ptr<MsrSensor> sensor;
    std::string summary;  // for the probe report: vendor, model, packages, domains, units
  };
  // Finds the RAPL domains of every package. When nothing usable is found, an Error that says
  // why and how to fix it, whose kind the probe reports: kNotFound (absent), kPermissionDenied,
  // anything else an error.
  static Result<Created> create(const ProbeContext& context);

  std::string_view backend() const override { return "msr"; }
  std::span<const ChannelInfo> channels() const override { return channels_; }
  void read(std::span<Reading> out) override;

 private:
  struct Source {
    std::size_t file = 0;  // index into files_
    std::uint32_t address = 0;
  };
  MsrSensor(std::vector<MsrFile> files, std::vector<ChannelInfo> channels,
            std::vector<Source> sources) noexcept;

  std::vector<MsrFile> files_;
  std::vector<ChannelInfo> channels_;
  std::vector<Source> sources_;  // parallel to channels_
};

}  // namespace jt
