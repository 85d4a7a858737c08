// SPDX-License-Identifier: BSD-3-Clause
// vanishing_counter: an energy counter in a real kernel file that vanishes mid-run, and may come
// back as a new one, as a powercap zone does when its device goes away or its driver reloads.
//
// A fixture file cannot vanish for a reader: a deleted regular file still reads through the open
// descriptor. A /proc/<pid>/ file does: once the process is reaped, a read through a descriptor
// opened before answers ESRCH and the path is gone (ENOENT). So each "generation" of the counter
// is a child process that writes the energy in microjoules into its own
// /proc/self/timerslack_ns (a plain u64 the owner may set; 0 would mean "default", so the counter
// starts at kBaseUj), and LINK is a symlink to that file. Reading another process's
// timerslack_ns needs CAP_SYS_NICE: the test skips without it.
//
// Timeline: generation 1 starts at once (READY_FILE is created when it has written). When GO_FILE
// appears, it lives ALIVE_S more seconds and is killed and reaped. With --gone-s, after GONE_S
// seconds generation 2 starts from kBaseUj again (a counter reset) and LINK is pointed at it.
// SIGTERM/SIGINT end everything. --log FILE gets "killed_after_go_s=..", "back_after_go_s=..".
// Standalone test helper: C++ standard library and POSIX only.

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

constexpr std::uint64_t kBaseUj = 1'000'000;
constexpr std::int64_t kNsPerSec = 1'000'000'000;

volatile sig_atomic_t g_stop = 0;
extern "C" void on_stop(int) { g_stop = 1; }

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

void sleep_ms(double ms) {
  const auto ns = static_cast<std::int64_t>(ms * 1e6);
  timespec ts{static_cast<time_t>(ns / kNsPerSec), static_cast<long>(ns % kNsPerSec)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !g_stop) {
  }
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "vanishing_counter: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

[[noreturn]] void usage() {
  std::fputs(
      "usage: vanishing_counter --link PATH --watts W --go-file FILE --alive-s A\n"
      "                         [--gone-s G] [--ready-file FILE] [--log FILE] [--max-s S]\n",
      stderr);
  std::exit(2);
}

// The child: count energy at `watts` into its own timerslack_ns until killed; tells the parent
// through `ready_fd` once the first value is there.
[[noreturn]] void run_generation(double watts, int ready_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the helper
  const int fd = ::open("/proc/self/timerslack_ns", O_WRONLY | O_CLOEXEC);
  if (fd < 0) die("open /proc/self/timerslack_ns");
  const std::int64_t start = monotonic_ns();
  bool told = false;
  for (;;) {
    const double elapsed_s = static_cast<double>(monotonic_ns() - start) / 1e9;
    const auto uj = kBaseUj + static_cast<std::uint64_t>(std::floor(watts * elapsed_s * 1e6));
    const std::string text = std::to_string(uj);
    // Each write() is parsed on its own (the file takes no offset: pwrite is ESPIPE).
    if (::write(fd, text.data(), text.size()) < 0) die("write timerslack_ns");
    if (!told) {
      if (::write(ready_fd, "r", 1) != 1) die("tell the parent");
      ::close(ready_fd);
      told = true;
    }
    sleep_ms(1);
  }
}

pid_t start_generation(double watts, const std::string& link) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) die("pipe");
  const pid_t pid = ::fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    ::close(fds[0]);
    run_generation(watts, fds[1]);
  }
  ::close(fds[1]);
  char c = 0;
  if (::read(fds[0], &c, 1) != 1) {
    errno = 0;
    die("the generation exited before its first write");
  }
  ::close(fds[0]);
  // Re-pointed by rename, so a reader never finds LINK missing in between.
  const std::string target = "/proc/" + std::to_string(pid) + "/timerslack_ns";
  const std::string tmp = link + ".new";
  ::unlink(tmp.c_str());
  if (::symlink(target.c_str(), tmp.c_str()) != 0) die("symlink " + tmp);
  if (::rename(tmp.c_str(), link.c_str()) != 0) die("rename to " + link);
  return pid;
}

void end_generation(pid_t pid) {
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

void touch(const std::string& path, const std::string& text) {
  if (path.empty()) return;
  FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) die("open " + path);
  std::fputs(text.c_str(), f);
  std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  std::string link, go_file, ready_file, log_file;
  double watts = -1, alive_s = -1, gone_s = -1, max_s = 60;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) usage();
    const std::string value = argv[++i];
    if (arg == "--link")
      link = value;
    else if (arg == "--go-file")
      go_file = value;
    else if (arg == "--ready-file")
      ready_file = value;
    else if (arg == "--log")
      log_file = value;
    else if (arg == "--watts")
      watts = std::atof(value.c_str());
    else if (arg == "--alive-s")
      alive_s = std::atof(value.c_str());
    else if (arg == "--gone-s")
      gone_s = std::atof(value.c_str());
    else if (arg == "--max-s")
      max_s = std::atof(value.c_str());
    else
      usage();
  }
  if (link.empty() || go_file.empty() || watts < 0 || alive_s < 0) usage();

  struct sigaction sa {};
  sa.sa_handler = on_stop;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);

  const std::int64_t deadline = monotonic_ns() + static_cast<std::int64_t>(max_s * 1e9);
  pid_t generation = start_generation(watts, link);
  touch(ready_file, std::to_string(generation) + "\n");

  while (!exists(go_file) && !g_stop && monotonic_ns() < deadline) sleep_ms(1);
  const std::int64_t go = monotonic_ns();
  while (!g_stop && monotonic_ns() - go < static_cast<std::int64_t>(alive_s * 1e9)) sleep_ms(1);
  end_generation(generation);
  generation = 0;
  touch(log_file, "killed_after_go_s=" + std::to_string((monotonic_ns() - go) / 1e9) + "\n");

  if (gone_s >= 0 && !g_stop) {
    const std::int64_t gone = monotonic_ns();
    while (!g_stop && monotonic_ns() - gone < static_cast<std::int64_t>(gone_s * 1e9)) sleep_ms(1);
    if (!g_stop) {
      generation = start_generation(watts, link);
      touch(log_file, "back_after_go_s=" + std::to_string((monotonic_ns() - go) / 1e9) + "\n");
    }
  }
  while (!g_stop && monotonic_ns() < deadline) sleep_ms(5);
  if (generation != 0) end_generation(generation);
  return 0;
}
