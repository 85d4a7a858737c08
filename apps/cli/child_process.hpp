// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sensors/process_tree.hpp"

namespace jt::cli {

struct ChildExit {
  bool started = true;        // false: the command could not be executed (launch_error says why)
  int exit_code = 0;          // the command's code, or 128+signal, as a shell reports it
  std::optional<int> signal;  // the signal that killed it
  double cpu_time_s = 0.0;    // user + system time of the command and its waited-for children
  std::string launch_error;   // the system's reason when the command could not be started
  std::int64_t end_ns = 0;    // when the command ended (with wait_all: its last process)
  bool killed_after_interrupts = false;  // jouletrace sent SIGKILL after repeated Ctrl-C
  // Processes the command started that were still running when it exited (not waited for).
  std::vector<ProcessStat> left_running;
  // With wait_all: how long jouletrace waited for them after the command itself had exited.
  double waited_for_others_s = 0.0;
};

struct WaitOptions {
  bool wait_all = false;     // also wait for processes the command left running
  std::string command_text;  // the command as the user wrote it, for messages
};

// The measured command, run as if jouletrace were not there (README "The run contract").
// Signals: one the command already received is not sent again; one sent to jouletrace alone
// is forwarded once (docs/SIGNALS.md has the rules and their limits).
class ChildProcess {
 public:
  // Call before starting any thread: threads created afterwards keep the forwarded signals and
  // SIGCHLD blocked, so that wait() receives them with sigwaitinfo(). Also makes jouletrace the
  // subreaper of the command's tree, so that processes the command leaves behind can be found.
  static void prepare_parent();
  // A signal jouletrace got while no command ran (during probing, between --repeat runs): it
  // stays pending, since the signals are blocked, and is taken here. The caller then starts no
  // command, as one that got the signal would not have gone on.
  static std::optional<int> take_pending_signal();
  // inherit_fd (when >= 0) stays open in the child across exec.
  static std::optional<ChildProcess> spawn(const std::vector<std::string>& command,
                                           std::string* error, int inherit_fd = -1);
  ChildExit wait(const WaitOptions& options);
  pid_t pid() const { return pid_; }

 private:
  explicit ChildProcess(pid_t pid, int exec_error_fd) : pid_(pid), exec_error_fd_(exec_error_fd) {}
  std::string read_exec_error();
  bool handle_signal(int sig, const siginfo_t& info, const std::vector<pid_t>& targets,
                     const WaitOptions& options);
  bool wait_for_command(const WaitOptions& options, ChildExit* result);
  void wait_for_others(const WaitOptions& options, ChildExit* result);

  pid_t pid_ = -1;
  int exec_error_fd_ = -1;
  double cpu_before_s_ = 0.0;  // RUSAGE_CHILDREN before this child existed
  int interrupts_ = 0;         // Ctrl-C from the terminal while the command ran
  std::int64_t last_interrupt_ns_ = 0;
};

}  // namespace jt::cli
