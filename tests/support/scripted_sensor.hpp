// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "sensors/sensor.hpp"

namespace jt::test {

// A sensor whose readings come from a script: reading k of channel c is script(c, k).
// For unit tests of the sampler and the ledger with a fake clock.
class ScriptedSensor final : public Sensor {
 public:
  using Script = std::function<Reading(std::size_t channel, std::size_t round)>;
  ScriptedSensor(std::vector<ChannelInfo> channels, Script script)
      : channels_(std::move(channels)), script_(std::move(script)) {}
  std::string_view backend() const override { return "scripted"; }
  std::span<const ChannelInfo> channels() const override { return channels_; }
  void read(std::span<Reading> out) override {
    for (std::size_t c = 0; c < out.size(); ++c) out[c] = script_(c, round_);
    ++round_;
  }

 private:
  std::vector<ChannelInfo> channels_;
  Script script_;
  std::size_t round_ = 0;
};

}  // namespace jt::test
