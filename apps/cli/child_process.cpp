#include "child_process.hpp"

#include <fcntl.h>
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

  struct sigaction action{};
  action.sa_sigaction = forward_signal;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (int sig : kForwardedSignals) ::sigaction(sig, &action, nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return std::nullopt;
  }
  if (pid == 0) {
    struct sigaction dfl{};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig : kForwardedSignals) ::sigaction(sig, &dfl, nullptr);
    ::close(pipe_fds[0]);
    ::execvp(argv[0], argv.data());
    const int err = errno;
    [[maybe_unused]] ssize_t n = ::write(pipe_fds[1], &err, sizeof err);
    ::_exit(err == ENOENT ? 127 : 126);
  }
  g_child_pid.store(pid);
  ::close(pipe_fds[1]);
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

  int status = 0;
  pid_t waited;
  do {
    waited = ::waitpid(pid_, &status, 0);
  } while (waited < 0 && errno == EINTR);
  g_child_pid.store(-1);
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
