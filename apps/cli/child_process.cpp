// SPDX-License-Identifier: BSD-3-Clause
#include "child_process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "arguments.hpp"
#include "core/clock.hpp"

namespace jt::cli {

namespace {

constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
// Processes are always those of this machine, whatever --proc-root says about the node.
const std::filesystem::path kProc = "/proc";
constexpr std::int64_t kForceWindowNs = 1'000'000'000;

// The signals jouletrace waits for synchronously: those it forwards, and SIGCHLD.
sigset_t waited_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwardedSignals) sigaddset(&set, sig);
  sigaddset(&set, SIGCHLD);
  return set;
}

sigset_t g_original_mask;
bool g_prepared = false;

double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

double children_cpu_s() {
  rusage usage{};
  if (::getrusage(RUSAGE_CHILDREN, &usage) != 0) return 0.0;
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Slurm's step daemon signals only a step's tasks (its own children: jouletrace) unless
// cgroup.conf says SignalChildrenProcesses=yes, when it signals every process of the step
// (docs/SIGNALS.md). cgroup.conf lies next to slurm.conf ($SLURM_CONF); names are
// case-insensitive and '#' starts a comment.
bool slurm_signals_every_process() {
  static const bool every = [] {
    const char* conf = std::getenv("SLURM_CONF");
    const std::filesystem::path dir =
        conf != nullptr ? std::filesystem::path(conf).parent_path() : "/etc/slurm";
    std::ifstream in(dir / "cgroup.conf");
    auto lower = [](std::string text) {
      for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return text;
    };
    bool yes = false;
    for (std::string line; std::getline(in, line);) {
      line = lower(line.substr(0, line.find('#')));
      std::erase_if(line, [](unsigned char c) { return std::isspace(c) != 0; });
      if (line.starts_with("signalchildrenprocesses=")) {
        const std::string value = line.substr(line.find('=') + 1);
        yes = value == "yes" || value == "true" || value == "1";
      }
    }
    return yes;
  }();
  return every;
}

// Whether the command got this signal itself, so that forwarding it would deliver it twice
// (docs/SIGNALS.md):
// - the terminal (SI_KERNEL) signals the whole foreground process group, which the command
//   shares with jouletrace when jouletrace runs in a terminal's foreground;
// - a process of the command's own tree signalled its group or jouletrace;
// - Slurm's step daemon, set to signal every process of a step.
// Any other signal came to jouletrace alone, or to its process group, which outside a terminal
// the command is not in: it is forwarded.
bool command_received_it(const siginfo_t& info, pid_t command) {
  if (info.si_code == SI_KERNEL) return ::getpgid(command) == ::getpgrp();
  if (info.si_code > 0) return false;
  const pid_t sender = info.si_pid;
  if (sender <= 0) return false;
  if (is_in_tree(kProc, sender, ::getpid())) return true;
  const auto stat = read_process(kProc, sender);
  return stat && stat->name == "slurmstepd" && slurm_signals_every_process();
}

// With a controlling terminal (an interactive session, in the foreground or not), the command
// shares jouletrace's process group, so that Ctrl-C, Ctrl-Z, `fg` and reading the terminal work
// as without jouletrace, whatever its own stdin and stdout are.
bool has_controlling_terminal() {
  const int tty = ::open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (tty < 0) return false;
  ::close(tty);
  return true;
}

void reap_exited_others(pid_t command) {
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0 ||
        info.si_pid == command) {
      return;
    }
    int status = 0;
    ::waitpid(info.si_pid, &status, 0);
  }
}

// What the command left running: processes that exit within 200 ms of it (the compilers of an
// interrupted `make`, a pipeline's tail) are not left behind.
std::vector<ProcessStat> still_running_after_settling() {
  for (int i = 0; i < 10; ++i) {
    reap_exited_others(-1);
    if (descendants_of(kProc, ::getpid()).empty()) return {};
    ::usleep(20'000);
  }
  reap_exited_others(-1);
  return descendants_of(kProc, ::getpid());
}

std::vector<pid_t> direct_children(const std::vector<ProcessStat>& processes) {
  std::vector<pid_t> pids;
  for (const auto& p : processes) {
    if (p.ppid == ::getpid()) pids.push_back(p.pid);
  }
  return pids;
}

}  // namespace

void ChildProcess::prepare_parent() {
  if (g_prepared) return;
  const sigset_t set = waited_set();
  ::pthread_sigmask(SIG_BLOCK, &set, &g_original_mask);
  // Processes the command leaves behind are reparented here rather than to init, so they can
  // be found (and, with --wait-all, waited for) when the command exits.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  g_prepared = true;
}

namespace {

[[noreturn]] void exec_command(std::vector<char*>& argv, int exec_error_fd, int inherit_fd) {
  ::pthread_sigmask(SIG_SETMASK, &g_original_mask, nullptr);
  if (inherit_fd >= 0) ::fcntl(inherit_fd, F_SETFD, 0);
  ::execvp(argv[0], argv.data());
  const int err = errno;
  [[maybe_unused]] ssize_t n = ::write(exec_error_fd, &err, sizeof err);
  ::_exit(err == ENOENT ? kExitNotFound : kExitCannotExecute);
}

// Outside a terminal the command goes into a process group of its own, so that a signal to
// jouletrace's group (a batch system's, `timeout`'s) reaches it once, through jouletrace. A
// short-lived leader makes the group and starts the command in it, so that the command is not
// a group leader itself (setsid() still works for it) and, through the subreaper, becomes
// jouletrace's child when the leader exits. Returns the command's pid, or -1.
pid_t spawn_in_own_group(std::vector<char*>& argv, int exec_error_fd, int inherit_fd,
                         std::string* error) {
  int pid_pipe[2];
  if (::pipe2(pid_pipe, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return -1;
  }
  const pid_t leader = ::fork();
  if (leader == 0) {
    ::setpgid(0, 0);
    const pid_t command = ::fork();
    if (command == 0) exec_command(argv, exec_error_fd, inherit_fd);
    [[maybe_unused]] ssize_t n = ::write(pid_pipe[1], &command, sizeof command);
    ::_exit(command < 0 ? 1 : 0);
  }
  ::close(pid_pipe[1]);
  pid_t command = -1;
  if (leader > 0) {
    int status = 0;
    while (::waitpid(leader, &status, 0) < 0 && errno == EINTR) {
    }
    if (::read(pid_pipe[0], &command, sizeof command) != static_cast<ssize_t>(sizeof command)) {
      command = -1;
    }
  }
  ::close(pid_pipe[0]);
  if (command < 0) *error = std::string("fork: ") + std::strerror(errno);
  return command;
}

}  // namespace

std::optional<int> ChildProcess::take_pending_signal() {
  prepare_parent();
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwardedSignals) sigaddset(&set, sig);
  const timespec now{0, 0};
  siginfo_t info{};
  const int sig = ::sigtimedwait(&set, &info, &now);
  if (sig > 0) return sig;
  return std::nullopt;
}

std::optional<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& command,
                                                std::string* error, int inherit_fd) {
  // The signals stay blocked in every thread from now on and are taken with sigwaitinfo() in
  // wait(): no asynchronous handler, and none is lost (a blocked signal stays pending).
  prepare_parent();
  // An inherited SIG_IGN for SIGCHLD would make the kernel reap the child before we can.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  ::sigaction(SIGCHLD, &default_action, nullptr);

  // The command reports a failed exec through this pipe; a successful exec closes it.
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::vector<char*> argv;
  for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  // CPU time of children reaped before this one counts in RUSAGE_CHILDREN too, even those of
  // the process jouletrace was exec'd from (`sh -c 'make && jouletrace run ...'`).
  const double cpu_before_s = children_cpu_s();
  pid_t pid = -1;
  if (has_controlling_terminal()) {
    pid = ::fork();
    if (pid == 0) {
      ::close(exec_pipe[0]);
      exec_command(argv, exec_pipe[1], inherit_fd);
    }
    if (pid < 0) *error = std::string("fork: ") + std::strerror(errno);
  } else {
    pid = spawn_in_own_group(argv, exec_pipe[1], inherit_fd, error);
  }
  ::close(exec_pipe[1]);
  if (pid < 0) {
    ::close(exec_pipe[0]);
    return std::nullopt;
  }
  ChildProcess child(pid, exec_pipe[0]);
  child.cpu_before_s_ = cpu_before_s;
  return child;
}

std::string ChildProcess::read_exec_error() {
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_error_fd_, &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  ::close(exec_error_fd_);
  exec_error_fd_ = -1;
  return n == static_cast<ssize_t>(sizeof exec_errno) ? std::strerror(exec_errno) : std::string();
}

// Acts on one signal while `targets` run. Returns true when jouletrace killed them.
bool ChildProcess::handle_signal(int sig, const siginfo_t& info, const std::vector<pid_t>& targets,
                                 const WaitOptions& options) {
  if (targets.empty()) return false;
  if (!command_received_it(info, targets.front())) {
    for (pid_t pid : targets) ::kill(pid, sig);
    return false;
  }
  if (sig != SIGINT || info.si_code != SI_KERNEL) return false;
  // Ctrl-C reached the command from the terminal. Say what is awaited when it does not stop,
  // and kill it on two more within a second (as srun does).
  const std::int64_t now = monotonic_ns();
  const bool quick = now - last_interrupt_ns_ < kForceWindowNs;
  last_interrupt_ns_ = now;
  if (++interrupts_ < 2) return false;
  if (interrupts_ >= 3 && quick) {
    fmt::print(stderr,
               "jouletrace: Ctrl-C twice within a second: killing '{}' (pid {}) with SIGKILL; "
               "the measurement up to now is kept\n",
               options.command_text, targets.front());
    for (pid_t pid : targets) ::kill(pid, SIGKILL);
    return true;
  }
  fmt::print(stderr,
             "jouletrace: waiting for '{}' (pid {}), which got Ctrl-C and is still running; "
             "press Ctrl-C twice within a second to kill it\n",
             options.command_text, targets.front());
  return false;
}

bool ChildProcess::wait_for_command(const WaitOptions& options, ChildExit* result) {
  const sigset_t set = waited_set();
  for (;;) {
    siginfo_t exited{};
    int rc;
    do {
      // WNOWAIT: the child stays a zombie, so its pid cannot be reused while we may signal it.
      rc = ::waitid(P_PID, static_cast<id_t>(pid_), &exited, WEXITED | WNOHANG | WNOWAIT);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0 || exited.si_pid == pid_) break;
    reap_exited_others(pid_);
    siginfo_t info{};
    const int sig = ::sigwaitinfo(&set, &info);
    if (sig < 0 || sig == SIGCHLD) continue;
    if (handle_signal(sig, info, {pid_}, options)) result->killed_after_interrupts = true;
  }
  int status = 0;
  pid_t waited;
  do {
    waited = ::waitpid(pid_, &status, 0);
  } while (waited < 0 && errno == EINTR);
  result->end_ns = monotonic_ns();
  if (waited < 0) {
    result->exit_code = kExitOwnFailure;
    result->launch_error = std::string("lost track of the command: ") + std::strerror(errno);
    return false;
  }
  if (WIFEXITED(status)) result->exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    result->signal = WTERMSIG(status);
    result->exit_code = 128 + WTERMSIG(status);
  }
  return true;
}

void ChildProcess::wait_for_others(const WaitOptions& options, ChildExit* result) {
  const sigset_t set = waited_set();
  const std::int64_t command_end_ns = result->end_ns;
  for (;;) {
    reap_exited_others(-1);
    const auto others = descendants_of(kProc, ::getpid());
    if (others.empty()) break;
    // Orphans of orphans exit without telling us: look again at least every 100 ms.
    const timespec tick{0, 100'000'000};
    siginfo_t info{};
    const int sig = ::sigtimedwait(&set, &info, &tick);
    if (sig <= 0 || sig == SIGCHLD) continue;
    std::vector<pid_t> targets = direct_children(others);
    if (targets.empty()) targets.push_back(others.front().pid);
    if (handle_signal(sig, info, targets, options)) result->killed_after_interrupts = true;
  }
  result->end_ns = monotonic_ns();
  result->waited_for_others_s = ns_to_s(result->end_ns - command_end_ns);
}

ChildExit ChildProcess::wait(const WaitOptions& options) {
  ChildExit result;
  result.launch_error = read_exec_error();
  result.started = result.launch_error.empty();
  if (wait_for_command(options, &result) && result.started) {
    if (options.wait_all) {
      wait_for_others(options, &result);
    } else {
      result.left_running = still_running_after_settling();
    }
  }
  result.cpu_time_s = std::max(0.0, children_cpu_s() - cpu_before_s_);
  return result;
}

}  // namespace jt::cli
