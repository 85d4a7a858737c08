#include "child_process.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace jt::cli {

namespace {

std::atomic<pid_t> g_child_pid{-1};
constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

sigset_t forwarded_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwardedSignals) sigaddset(&set, sig);
  return set;
}

void forward_signal(int sig, siginfo_t* info, void* /*context*/) {
  const pid_t child = g_child_pid.load();
  if (child <= 0) return;
  // SI_KERNEL: the terminal driver sent it to the whole process group, the child included.
  if (info != nullptr && info->si_code == SI_KERNEL) return;
  const int saved_errno = errno;
  ::kill(child, sig);
  errno = saved_errno;
}

double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

}  // namespace

void ChildProcess::block_forwarded_signals() {
  const sigset_t set = forwarded_set();
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::optional<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& command,
                                                std::string* error) {
  // The child reports a failed exec through this pipe; a successful exec closes it (CLOEXEC).
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::vector<char*> argv;
  for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  // Signals stay blocked from here until the child's pid is known, so none arrives while
  // there is nobody to forward it to; they are delivered, not lost, when unblocked.
  const sigset_t set = forwarded_set();
  sigset_t previous;
  ::pthread_sigmask(SIG_BLOCK, &set, &previous);
  struct sigaction action{};
  action.sa_sigaction = forward_signal;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (int sig : kForwardedSignals) ::sigaction(sig, &action, nullptr);
  // An inherited SIG_IGN for SIGCHLD would make the kernel reap the child before we can.
  struct sigaction default_action{};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  ::sigaction(SIGCHLD, &default_action, nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    return std::nullopt;
  }
  if (pid == 0) {
    for (int sig : kForwardedSignals) ::sigaction(sig, &default_action, nullptr);
    ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    ::close(pipe_fds[0]);
    ::execvp(argv[0], argv.data());
    const int err = errno;
    [[maybe_unused]] ssize_t n = ::write(pipe_fds[1], &err, sizeof err);
    ::_exit(err == ENOENT ? 127 : 126);
  }
  g_child_pid.store(pid);
  ::close(pipe_fds[1]);
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  return ChildProcess(pid, pipe_fds[0]);
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

  // Wait without reaping first: while the child is a zombie its pid cannot be reused, so a
  // signal forwarded in the meantime cannot hit an unrelated process.
  siginfo_t info{};
  int rc;
  do {
    rc = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT);
  } while (rc < 0 && errno == EINTR);
  g_child_pid.store(-1);
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
    result.cpu_time_s = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }
  return result;
}

}  // namespace jt::cli
