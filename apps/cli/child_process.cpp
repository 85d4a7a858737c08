#include "child_process.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace jt::cli {

namespace {

constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

// The signals jouletrace waits for synchronously: those it forwards, and SIGCHLD.
sigset_t waited_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwardedSignals) sigaddset(&set, sig);
  sigaddset(&set, SIGCHLD);
  return set;
}

sigset_t g_original_mask;
bool g_blocked = false;

double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

}  // namespace

void ChildProcess::block_forwarded_signals() {
  if (g_blocked) return;
  const sigset_t set = waited_set();
  ::pthread_sigmask(SIG_BLOCK, &set, &g_original_mask);
  g_blocked = true;
}

std::optional<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& command,
                                                std::string* error, int inherit_fd) {
  // The signals stay blocked in every thread from now on and are taken with sigwaitinfo() in
  // wait(): no asynchronous handler, no window in which one arrives with nobody to forward it
  // to, and none is lost (a blocked signal stays pending).
  block_forwarded_signals();
  // An inherited SIG_IGN for SIGCHLD would make the kernel reap the child before we can.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  ::sigaction(SIGCHLD, &default_action, nullptr);

  // The child reports a failed exec through this pipe; a successful exec closes it (CLOEXEC).
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::vector<char*> argv;
  for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  // CPU time of children reaped before this one counts in RUSAGE_CHILDREN too, even those of
  // the process jouletrace was exec'd from (`sh -c 'make && jouletrace run ...'`).
  rusage before{};
  ::getrusage(RUSAGE_CHILDREN, &before);
  const double cpu_before_s = seconds(before.ru_utime) + seconds(before.ru_stime);

  const pid_t pid = ::fork();
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return std::nullopt;
  }
  if (pid == 0) {
    ::pthread_sigmask(SIG_SETMASK, &g_original_mask, nullptr);
    ::close(pipe_fds[0]);
    if (inherit_fd >= 0) ::fcntl(inherit_fd, F_SETFD, 0);
    ::execvp(argv[0], argv.data());
    const int err = errno;
    [[maybe_unused]] ssize_t n = ::write(pipe_fds[1], &err, sizeof err);
    ::_exit(err == ENOENT ? 127 : 126);
  }
  ::close(pipe_fds[1]);
  ChildProcess child(pid, pipe_fds[0]);
  child.cpu_before_s_ = cpu_before_s;
  return child;
}

ChildExit ChildProcess::wait() {
  ChildExit result;
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_error_fd_, &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  ::close(exec_error_fd_);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) result.launch_error = std::strerror(exec_errno);

  // Until the child is gone: forward each signal that arrives. A signal the terminal sent to
  // the whole foreground process group (SI_KERNEL) already reached the child.
  const sigset_t set = waited_set();
  for (;;) {
    siginfo_t exited{};
    int rc;
    do {
      // WNOWAIT: the child stays a zombie, so its pid cannot be reused while we may signal it.
      rc = ::waitid(P_PID, static_cast<id_t>(pid_), &exited, WEXITED | WNOHANG | WNOWAIT);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0 || exited.si_pid == pid_) break;
    siginfo_t info{};
    const int sig = ::sigwaitinfo(&set, &info);
    if (sig < 0 || sig == SIGCHLD) continue;
    if (info.si_code != SI_KERNEL) ::kill(pid_, sig);
  }
  int status = 0;
  pid_t waited;
  do {
    waited = ::waitpid(pid_, &status, 0);
  } while (waited < 0 && errno == EINTR);
  if (waited < 0) {
    result.exit_code = 255;
    if (result.launch_error.empty()) {
      result.launch_error = std::string("lost track of the command: ") + std::strerror(errno);
    }
    return result;
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
    result.exit_code = 128 + WTERMSIG(status);
  }
  rusage usage{};
  if (::getrusage(RUSAGE_CHILDREN, &usage) == 0) {
    result.cpu_time_s =
        std::max(0.0, seconds(usage.ru_utime) + seconds(usage.ru_stime) - cpu_before_s_);
  }
  return result;
}

}  // namespace jt::cli
