// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/process_tree.hpp"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

namespace jt {

namespace {

std::optional<std::string> read_small_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

long clock_ticks() {
  static const long ticks = [] {
    const long t = ::sysconf(_SC_CLK_TCK);
    return t > 0 ? t : 100;
  }();
  return ticks;
}

template <typename T>
bool parse_field(std::string_view text, T* value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc{} && end == text.data() + text.size();
}

}  // namespace

std::optional<ProcessStat> parse_proc_stat(std::string_view content, long ticks_per_second) {
  const std::size_t open = content.find('(');
  const std::size_t close = content.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open ||
      ticks_per_second <= 0) {
    return std::nullopt;
  }
  ProcessStat stat;
  if (!parse_field(content.substr(0, open > 0 ? open - 1 : 0), &stat.pid)) return std::nullopt;
  stat.name = std::string(content.substr(open + 1, close - open - 1));
  // Fields from the state on: state(3) ppid(4) pgrp(5) ... utime(14) stime(15) cutime(16)
  // cstime(17).
  std::vector<std::string_view> fields;
  std::string_view rest = content.substr(close + 1);
  while (!rest.empty()) {
    const std::size_t start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const std::size_t end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  if (fields.size() < 15 || fields[0].size() != 1) return std::nullopt;
  stat.state = fields[0][0];
  unsigned long long ticks[4] = {};
  if (!parse_field(fields[1], &stat.ppid) || !parse_field(fields[2], &stat.pgrp)) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < 4; ++i) {
    long long value = 0;  // cutime and cstime are signed in the kernel's format
    if (!parse_field(fields[11 + i], &value) || value < 0) return std::nullopt;
    ticks[i] = static_cast<unsigned long long>(value);
  }
  const auto seconds = [&](unsigned long long t) {
    return static_cast<double>(t) / static_cast<double>(ticks_per_second);
  };
  stat.own_cpu_s = seconds(ticks[0] + ticks[1]);
  stat.waited_children_cpu_s = seconds(ticks[2] + ticks[3]);
  stat.cpu_with_waited_children_s = stat.own_cpu_s + stat.waited_children_cpu_s;
  return stat;
}

std::optional<ProcessStat> read_process(const std::filesystem::path& proc_root, pid_t pid) {
  auto content = read_small_file(proc_root / std::to_string(pid) / "stat");
  if (!content) return std::nullopt;
  return parse_proc_stat(*content, clock_ticks());
}

std::vector<ProcessStat> descendants_of(const std::filesystem::path& proc_root, pid_t ancestor) {
  std::map<pid_t, ProcessStat> all;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(proc_root, ec)) {
    pid_t pid = 0;
    if (!parse_field(entry.path().filename().string(), &pid)) continue;
    if (auto stat = read_process(proc_root, pid)) all.emplace(pid, std::move(*stat));
  }
  std::vector<ProcessStat> found;
  for (const auto& [pid, stat] : all) {
    if (stat.state == 'Z' || pid == ancestor) continue;
    // A chain longer than the process count is a cycle of pids reused while we read.
    pid_t up = stat.ppid;
    for (std::size_t steps = 0; steps < all.size() && up > 1; ++steps) {
      if (up == ancestor) {
        found.push_back(stat);
        break;
      }
      const auto parent = all.find(up);
      if (parent == all.end()) break;
      up = parent->second.ppid;
    }
  }
  return found;
}

bool is_in_tree(const std::filesystem::path& proc_root, pid_t pid, pid_t ancestor) {
  for (int steps = 0; steps < 4096 && pid > 1; ++steps) {
    if (pid == ancestor) return true;
    const auto stat = read_process(proc_root, pid);
    if (!stat) return false;
    pid = stat->ppid;
  }
  return false;
}

double tree_cpu_s(const std::filesystem::path& proc_root, pid_t root) {
  double total = 0.0;
  if (auto stat = read_process(proc_root, root)) total += stat->cpu_with_waited_children_s;
  for (const auto& d : descendants_of(proc_root, root)) total += d.cpu_with_waited_children_s;
  return total;
}

double cpu_below_s(const std::filesystem::path& proc_root, pid_t ancestor) {
  double total = 0.0;
  if (auto self = read_process(proc_root, ancestor)) total += self->waited_children_cpu_s;
  for (const auto& d : descendants_of(proc_root, ancestor)) total += d.cpu_with_waited_children_s;
  return total;
}

}  // namespace jt
