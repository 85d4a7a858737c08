// SPDX-License-Identifier: BSD-3-Clause
#pragma once

// A fake GPU machine for the vendor-library fakes of tests/fakes: the config file lives in a
// private temp tree, named by the fake's variable, which the fake reads at its next fresh init.

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sensors/sensor.hpp"
#include "support/test_support.hpp"

namespace jt::test {

// Sets (or unsets) one environment variable for a scope, restoring the previous value.
class ScopedEnvironment {
 public:
  ScopedEnvironment(std::string name, const std::optional<std::string>& value)
      : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ~ScopedEnvironment() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

class FakeGpuMachine {
 public:
  FakeGpuMachine(const std::string& config_variable, const std::string& library_variable,
                 const std::string& config)
      : config_path_((tree_ / "gpu.conf").string()),
        config_env_(config_variable, config_path_),
        library_env_(library_variable, std::nullopt) {
    write_file(config_path_, config);
  }

 private:
  TempTree tree_;
  std::string config_path_;
  ScopedEnvironment config_env_;
  ScopedEnvironment library_env_;
};

inline std::vector<Reading> read_all(Sensor& sensor) {
  std::vector<Reading> out(sensor.channels().size());
  sensor.read(out);
  return out;
}

inline double steady_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline int count_reports(const ProbeOutcome& outcome, ProbeReport::Status status) {
  int n = 0;
  for (const auto& report : outcome.reports) n += report.status == status ? 1 : 0;
  return n;
}

}  // namespace jt::test
