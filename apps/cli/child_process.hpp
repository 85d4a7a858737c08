#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace jt::cli {

struct ChildExit {
  int exit_code = 0;          // the command's code, or 128+signal, as a shell reports it
  std::optional<int> signal;  // the signal that killed it
  double cpu_time_s = 0.0;    // user + system time of the command and its waited-for children
  std::string launch_error;   // non-empty when the command could not be started
};

// Starts the command with the signals that should reach it (SIGINT, SIGTERM, SIGHUP, SIGQUIT,
// SIGUSR1, SIGUSR2) forwarded while it runs. A signal the terminal sent to the whole
// foreground process group already reached the child and is not sent twice. One that a process
// sent to the whole group with kill(-pgid) reaches the child twice.
class ChildProcess {
 public:
  // Call before starting any thread: threads created afterwards keep the forwarded signals and
  // SIGCHLD blocked, so that wait() receives them with sigwaitinfo().
  static void block_forwarded_signals();
  // inherit_fd (when >= 0) stays open in the child across exec.
  static std::optional<ChildProcess> spawn(const std::vector<std::string>& command,
                                           std::string* error, int inherit_fd = -1);
  ChildExit wait();
  pid_t pid() const { return pid_; }

 private:
  explicit ChildProcess(pid_t pid, int exec_error_fd) : pid_(pid), exec_error_fd_(exec_error_fd) {}
  pid_t pid_ = -1;
  int exec_error_fd_ = -1;
  double cpu_before_s_ = 0.0;  // RUSAGE_CHILDREN before this child existed
};

}  // namespace jt::cli
