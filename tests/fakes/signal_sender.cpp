// SPDX-License-Identifier: BSD-3-Clause
// Starts a command and later signals it the way a batch system or a user does, for the signal
// clauses of the run contract.
//
//   signal_sender NAME READY_FILE SIGNAL all|child|group -- COMMAND...
//
// Names itself NAME (its comm, as `ps` and /proc show it: "slurmstepd" for Slurm's step
// daemon), starts COMMAND as its child, waits until READY_FILE exists, then sends SIGNAL to
// every process below it, one by one (`all`: Slurm's proctrack/cgroup with
// SignalChildrenProcesses=yes), to its child alone (`child`: Slurm's default, which signals only
// a step's tasks; a user's `kill PID`; a supervisor's terminate()), or to the process group the
// child leads (`group`: a shell's `kill %1`, `timeout`). Exits with the child's exit code (128 +
// signal when it was killed).
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

// pid -> parent pid of every process, from /proc.
std::map<pid_t, pid_t> parents() {
  std::map<pid_t, pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text;
    std::getline(stat, text);
    const auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(text.c_str() + close + 1, " %c %d", &state, &ppid) != 2) continue;
    out[std::stoi(name)] = ppid;
  }
  return out;
}

std::vector<pid_t> descendants(pid_t root) {
  const auto parent_of = parents();
  std::vector<pid_t> found;
  for (const auto& [pid, ppid] : parent_of) {
    for (pid_t up = ppid; up > 1;) {
      if (up == root) {
        found.push_back(pid);
        break;
      }
      const auto it = parent_of.find(up);
      if (it == parent_of.end()) break;
      up = it->second;
    }
  }
  return found;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7 || std::strcmp(argv[5], "--") != 0) {
    std::fprintf(stderr, "usage: signal_sender NAME READY SIGNAL all|child -- COMMAND...\n");
    return 2;
  }
  prctl(PR_SET_NAME, argv[1]);
  // As a batch system's daemon: no controlling terminal, whatever the test runner has.
  setsid();
  const std::string ready = argv[2];
  const int sig = std::atoi(argv[3]);
  const std::string mode = argv[4];
  const pid_t child = fork();
  if (child == 0) {
    if (mode == "group") setpgid(0, 0);  // a job of its own, as a shell starts one
    execvp(argv[6], argv + 6);
    _exit(127);
  }
  for (int i = 0; i < 3000 && !std::filesystem::exists(ready); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (mode == "all") {
    for (pid_t pid : descendants(getpid())) kill(pid, sig);
  } else if (mode == "group") {
    kill(-child, sig);
  } else {
    kill(child, sig);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
