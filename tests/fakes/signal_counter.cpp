// SPDX-License-Identifier: BSD-3-Clause
// A command that counts every signal it receives, for the signal clauses of the run contract.
// It blocks the signals a terminal, scancel or a user may send and takes them one by one with
// sigtimedwait(), so that a second copy arriving late is counted, not merged into the first.
//
//   signal_counter READY_FILE LOG_FILE [--linger S] [--max S] [--ignore]
//
// Writes READY_FILE once the signals are blocked, then appends one line per delivery to
// LOG_FILE: "<signal> <si_code> <si_pid>". After the first signal it keeps counting for
// --linger seconds (default 0.5) and exits 0; with --ignore it never exits because of a signal
// (a command that ignores Ctrl-C). It exits 3 after --max seconds (default 30) in any case.
#include <signal.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: signal_counter READY LOG [--linger S] [--max S] [--ignore]\n");
    return 2;
  }
  double linger_s = 0.5;
  double max_s = 30.0;
  bool ignore = false;
  for (int i = 3; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--linger" && i + 1 < argc) linger_s = std::atof(argv[++i]);
    if (arg == "--max" && i + 1 < argc) max_s = std::atof(argv[++i]);
    if (arg == "--ignore") ignore = true;
  }
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&set, sig);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  std::FILE* log = std::fopen(argv[2], "a");
  if (log == nullptr) return 2;
  const std::string ready_tmp = std::string(argv[1]) + ".tmp";
  if (std::FILE* ready = std::fopen(ready_tmp.c_str(), "w")) {
    std::fclose(ready);
    std::rename(ready_tmp.c_str(), argv[1]);
  }
  const double start = now_s();
  double exit_at = start + max_s;
  int code = 3;
  for (double now = start; now < exit_at; now = now_s()) {
    const double wait_s = exit_at - now;
    timespec timeout{
        static_cast<time_t>(wait_s),
        static_cast<long>((wait_s - static_cast<double>(static_cast<time_t>(wait_s))) * 1e9)};
    siginfo_t info{};
    const int sig = sigtimedwait(&set, &info, &timeout);
    if (sig <= 0) continue;
    std::fprintf(log, "%d %d %d\n", sig, info.si_code, static_cast<int>(info.si_pid));
    std::fflush(log);
    if (!ignore && code == 3) {
      code = 0;
      exit_at = std::min(exit_at, now_s() + linger_s);
    }
  }
  std::fclose(log);
  return code;
}
