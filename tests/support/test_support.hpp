// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ledger/measurement.hpp"
#include "sampler/sampler.hpp"
#include "sensors/sensor.hpp"

namespace jt::test {

// A timeline from hand-made series, polled every `interval_s`: each channel's stats say what its
// series holds (samples, first and last time, energy), one segment, no gap.
Timeline timeline_of(const std::vector<ChannelInfo>& channels,
                     const std::vector<ChannelSeries>& series, double interval_s);

// Every channel of every sensor a probe returned, in order.
std::vector<ChannelInfo> all_channels(const ProbeOutcome& outcome);
const ChannelInfo* find_channel(const std::vector<ChannelInfo>& channels, const std::string& id);

std::filesystem::path fixture_dir(const std::string& name);

// A figure with a single uncertainty term (the kind a hand-built report needs).
inline Measurement figure(double energy_j, double uncertainty_j, Method method) {
  return Measurement{
      .energy_j = energy_j, .uncertainty = assumed_budget(uncertainty_j), .method = method};
}

// A private copy of a fixture tree, removed at scope exit. Tests may chmod or rewrite it.
class TempTree {
 public:
  explicit TempTree(const std::string& fixture = {});
  ~TempTree();
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }
  // Makes the tree traversable by other users, for tests that drop privileges.
  void make_world_readable() const;

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& path, const std::string& content);
std::string read_file(const std::filesystem::path& path);

struct ProcessResult {
  int exit_code = -1;  // 128+signal when killed, as a shell reports it
  std::string out;
  std::string err;
};

struct ProcessOptions {
  std::map<std::string, std::string> env;  // added to (or replacing in) the inherited environment
  std::vector<std::string> unset_env;
  int run_as_uid = -1;  // drop to this uid/gid before exec (needs root)
  double timeout_s = 60.0;
};

// Runs argv[0] with arguments, capturing stdout and stderr.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// A process left running in the background (a live fixture writer, a `jouletrace run` to be
// signalled); stopped with SIGTERM and reaped at scope exit.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv,
                             const std::filesystem::path& stdout_path = {},
                             const std::filesystem::path& stderr_path = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  int pid() const { return pid_; }
  void signal(int sig) const;
  // Waits for the exit and returns the code as a shell reports it (128+signal when killed).
  int wait(double timeout_s = 30.0);

 private:
  int pid_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
};

// For messages: whether `part` occurs in `text`.
inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Waits until the file exists; false after the timeout.
bool wait_for_file(const std::filesystem::path& path, double timeout_s = 10.0);

std::string jouletrace_binary();
std::string fake_nvml_library();
std::string fake_nvml_no_energy_library();
std::string live_writer_binary();

// A fixture tree's powercap counter file: `tree`/class/powercap/`zone`/energy_uj.
std::string powercap_energy_file(const TempTree& tree, const std::string& zone);

// Starts live_rapl_writer (1 ms ticks, its ready and error files in `tree`) with `args` (its
// --channel, --schedule, --glitch options) and waits until every channel holds its first value.
// A writer that does not get ready is a test failure, with its stderr.
std::unique_ptr<BackgroundProcess> start_live_writer(const TempTree& tree,
                                                     const std::vector<std::string>& args,
                                                     double duration_s = 60);
std::string vanishing_counter_binary();
std::string signal_counter_binary();  // tests/fakes/signal_counter.cpp
std::string signal_sender_binary();   // tests/fakes/signal_sender.cpp
std::string argv_dump_binary();       // tests/fakes/argv_dump.cpp

}  // namespace jt::test
