// SPDX-License-Identifier: BSD-3-Clause
#include "support/test_support.hpp"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/clock.hpp"

extern char** environ;

namespace jt::test {

Timeline timeline_of(const std::vector<ChannelInfo>& channels,
                     const std::vector<ChannelSeries>& series, double interval_s) {
  Timeline timeline;
  timeline.channels = channels;
  timeline.series = series;
  timeline.interval_s = interval_s;
  for (const auto& s : series) {
    ChannelStats stats;
    stats.samples = s.t_ns.size();
    stats.segments = 1;
    if (!s.t_ns.empty()) {
      stats.first_t_ns = s.t_ns.front();
      stats.last_t_ns = s.t_ns.back();
      stats.energy_j = s.energy_j.back() - s.energy_j.front();
    }
    timeline.stats.push_back(stats);
    timeline.channel_interval_s.push_back(interval_s);
  }
  return timeline;
}

namespace fs = std::filesystem;

std::vector<ChannelInfo> all_channels(const ProbeOutcome& outcome) {
  std::vector<ChannelInfo> out;
  for (const auto& sensor : outcome.sensors) {
    for (const auto& c : sensor->channels()) out.push_back(c);
  }
  return out;
}

const ChannelInfo* find_channel(const std::vector<ChannelInfo>& channels, const std::string& id) {
  for (const auto& c : channels) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

fs::path fixture_dir(const std::string& name) { return fs::path(JT_FIXTURE_DIR) / name; }

std::string jouletrace_binary() { return JT_BINARY; }
std::string fake_nvml_library() { return JT_FAKE_NVML; }
std::string fake_nvml_no_energy_library() { return JT_FAKE_NVML_NO_ENERGY; }
std::string live_writer_binary() { return JT_LIVE_WRITER; }
std::string vanishing_counter_binary() { return JT_VANISHING_COUNTER; }
std::string signal_counter_binary() { return JT_SIGNAL_COUNTER; }
std::string signal_sender_binary() { return JT_SIGNAL_SENDER; }
std::string argv_dump_binary() { return JT_ARGV_DUMP; }

TempTree::TempTree(const std::string& fixture) {
  std::string pattern = (fs::temp_directory_path() / "jouletrace-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
  if (!fixture.empty()) {
    fs::copy(fixture_dir(fixture), path_, fs::copy_options::recursive);
  }
}

TempTree::~TempTree() {
  std::error_code ec;
  // Restore permissions a test may have removed so that the tree can be deleted.
  for (auto it = fs::recursive_directory_iterator(path_, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(path_, ec);
}

void TempTree::make_world_readable() const {
  fs::permissions(path_, fs::perms::others_read | fs::perms::others_exec, fs::perm_options::add);
  for (const auto& entry : fs::recursive_directory_iterator(path_)) {
    auto perms = fs::perms::others_read;
    if (entry.is_directory()) perms |= fs::perms::others_exec;
    fs::permissions(entry.path(), perms, fs::perm_options::add);
  }
}

void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    const std::string key = entry.substr(0, entry.find('='));
    bool drop = options.env.count(key) > 0;
    for (const auto& u : options.unset_env) drop = drop || u == key;
    // A developer's own BMC, profile or GPU selection must not leak into the tests.
    for (const char* own : {"JOULETRACE_REDFISH_CONFIG", "JOULETRACE_PROFILE",
                            "JOULETRACE_TDP_FILE", "CUDA_VISIBLE_DEVICES"}) {
      drop = drop || key == own;
    }
    if (!drop) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    if (options.run_as_uid >= 0) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(static_cast<gid_t>(options.run_as_uid)) != 0 ||
          ::setuid(static_cast<uid_t>(options.run_as_uid)) != 0) {
        ::_exit(126);
      }
    }
    ::execve(argp[0], argp.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  ProcessResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  const auto deadline = monotonic_ns() + static_cast<std::int64_t>(options.timeout_s * 1e9);
  int open_fds = 2;
  bool killed = false;
  while (open_fds > 0) {
    const auto left_ms = (deadline - monotonic_ns()) / 1'000'000;
    if (left_ms <= 0 && !killed) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
    const int n = ::poll(fds, 2, left_ms > 0 ? static_cast<int>(left_ms) : 1000);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buf[4096];
      const ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      if (r <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(r));
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  if (killed) result.err += "\n[test harness: killed after timeout]";
  return result;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const fs::path& stdout_path, const fs::path& stderr_path) {
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    if (!stdout_path.empty()) {
      const int fd = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, STDOUT_FILENO);
    }
    if (!stderr_path.empty()) {
      const int fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, STDERR_FILENO);
    }
    ::execv(argp[0], argp.data());
    ::_exit(127);
  }
}

BackgroundProcess::~BackgroundProcess() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGTERM);
    wait(5.0);
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      wait(5.0);
    }
  }
}

void BackgroundProcess::signal(int sig) const {
  if (!reaped_ && pid_ > 0) ::kill(pid_, sig);
}

int BackgroundProcess::wait(double timeout_s) {
  if (reaped_) return exit_code_;
  const auto deadline = monotonic_ns() + static_cast<std::int64_t>(timeout_s * 1e9);
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      if (WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) exit_code_ = 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (monotonic_ns() > deadline) return -1;
    ::usleep(2000);
  }
}

std::string powercap_energy_file(const TempTree& tree, const std::string& zone) {
  return (tree / ("class/powercap/" + zone + "/energy_uj")).string();
}

std::unique_ptr<BackgroundProcess> start_live_writer(const TempTree& tree,
                                                     const std::vector<std::string>& args,
                                                     double duration_s) {
  std::vector<std::string> argv = {live_writer_binary(),
                                   "--tick-ms",
                                   "1",
                                   "--duration-s",
                                   std::to_string(duration_s),
                                   "--ready-file",
                                   (tree / "writer.ready").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto writer = std::make_unique<BackgroundProcess>(argv, fs::path{}, tree / "writer.err");
  if (!wait_for_file(tree / "writer.ready")) {
    ADD_FAILURE() << "live_rapl_writer did not get ready: " << read_file(tree / "writer.err");
  }
  return writer;
}

bool wait_for_file(const fs::path& path, double timeout_s) {
  const auto deadline = monotonic_ns() + static_cast<std::int64_t>(timeout_s * 1e9);
  while (!fs::exists(path)) {
    if (monotonic_ns() > deadline) return false;
    ::usleep(1000);
  }
  return true;
}

}  // namespace jt::test
