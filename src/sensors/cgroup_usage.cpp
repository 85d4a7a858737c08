// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/cgroup_usage.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string_view>

#include "core/sysfs_file.hpp"
#include "core/text.hpp"

namespace jt {

namespace fs = std::filesystem;

namespace {

// x86 kernels allow at most 8192 CPUs (MAXSMP); a larger number is a corrupt list, and
// expanding it would allocate without bound.
constexpr int kMaxCpuNumber = 65535;

std::optional<int> parse_cpu_number(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  const auto value = parse_u64(text);
  if (!value || *value > static_cast<std::uint64_t>(kMaxCpuNumber)) return std::nullopt;
  return static_cast<int>(*value);
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

std::string excerpt(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  std::string shown(text.substr(0, kMaxShown));
  if (text.size() > kMaxShown) shown += "...";
  return "'" + shown + "'";
}

Error with_context(Error error, const std::string& context) {
  error.message = context + ": " + error.message;
  return error;
}

// The v2 hierarchy is at fs/cgroup on unified hosts and at fs/cgroup/unified on hybrid ones;
// its root always has cgroup.controllers, a v1 mount never does.
Result<fs::path> find_cgroup2_root(const fs::path& sysfs_root) {
  for (const char* candidate : {"fs/cgroup", "fs/cgroup/unified"}) {
    const fs::path root = sysfs_root / candidate;
    std::error_code ec;
    if (fs::exists(root / "cgroup.controllers", ec)) return root;
  }
  return make_error(ErrorKind::kNotFound,
                    "no cgroup v2 hierarchy is mounted at " + (sysfs_root / "fs/cgroup").string() +
                        " (nor at fs/cgroup/unified)",
                    "shared-node attribution needs cgroup v2; use --attribution exclusive");
}

Result<std::uint64_t> read_usage_usec(const fs::path& cpu_stat) {
  auto text = read_text_file(cpu_stat);
  if (!text) return std::unexpected(text.error());
  for (std::string_view line : split(*text, '\n')) {
    line = trim(line);
    const auto space = line.find_first_of(" \t");
    if (space == std::string_view::npos || line.substr(0, space) != "usage_usec") continue;
    const auto value = parse_u64(line.substr(space + 1));
    if (!value) {
      return make_error(ErrorKind::kInvalidData,
                        cpu_stat.string() + ": malformed usage_usec line " + excerpt(line));
    }
    return *value;
  }
  return make_error(ErrorKind::kInvalidData, cpu_stat.string() + " has no usage_usec line");
}

struct AllocatedCpus {
  std::vector<int> cpus;
  std::string source;
};

// cpuset.cpus.effective exists only where the cpuset controller is enabled, so the nearest
// ancestor that has one describes the job. Hybrid hosts keep cpuset on v1: there the process's
// own affinity is the best the kernel says.
Result<AllocatedCpus> read_allocated_cpus(const fs::path& root, const std::string& cgroup_path,
                                          const fs::path& proc_root, pid_t pid) {
  fs::path relative = fs::path(cgroup_path).relative_path();
  for (;;) {
    const fs::path file = root / relative / "cpuset.cpus.effective";
    auto text = read_text_file(file);
    if (text) {
      auto cpus = parse_cpu_list(*text);
      if (!cpus) return std::unexpected(with_context(cpus.error(), file.string()));
      return AllocatedCpus{std::move(*cpus), file.string()};
    }
    if (text.error().kind != ErrorKind::kNotFound) return std::unexpected(text.error());
    if (relative.empty()) break;
    relative = relative.parent_path();
  }
  const fs::path status = proc_root / std::to_string(pid) / "status";
  auto text = read_text_file(status);
  if (!text) {
    return std::unexpected(
        with_context(text.error(),
                     "no cpuset.cpus.effective in the cgroup or its ancestors, and the "
                     "process's affinity is unreadable"));
  }
  constexpr std::string_view kKey = "Cpus_allowed_list:";
  for (std::string_view line : split(*text, '\n')) {
    if (line.substr(0, kKey.size()) != kKey) continue;
    auto cpus = parse_cpu_list(trim(line.substr(kKey.size())));
    if (!cpus) return std::unexpected(with_context(cpus.error(), status.string()));
    return AllocatedCpus{std::move(*cpus), status.string() + " (Cpus_allowed_list)"};
  }
  return make_error(ErrorKind::kInvalidData, status.string() + " has no Cpus_allowed_list line");
}

}  // namespace

Result<std::vector<int>> parse_cpu_list(std::string_view text) {
  const std::string_view list = trim(text);
  if (list.empty()) return make_error(ErrorKind::kInvalidData, "empty CPU list");
  std::vector<int> cpus;
  for (std::string_view item : split(list, ',')) {
    const auto dash = item.find('-');
    const auto first = parse_cpu_number(item.substr(0, dash));
    const auto last =
        dash == std::string_view::npos ? first : parse_cpu_number(item.substr(dash + 1));
    if (!first || !last || *last < *first) {
      return make_error(ErrorKind::kInvalidData,
                        "malformed CPU list " + excerpt(list) + " at " + excerpt(item));
    }
    for (int cpu = *first; cpu <= *last; ++cpu) cpus.push_back(cpu);
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

Result<std::string> parse_proc_cgroup(std::string_view content) {
  bool any_line = false;
  for (std::string_view line : split(content, '\n')) {
    line = trim(line);
    if (line.empty()) continue;
    any_line = true;
    if (line.substr(0, 3) != "0::") continue;
    const std::string_view path = line.substr(3);
    if (path.empty() || path.front() != '/') {
      return make_error(ErrorKind::kInvalidData, "malformed cgroup v2 line " + excerpt(line));
    }
    if (path.ends_with(" (deleted)")) {
      return make_error(ErrorKind::kNotFound, "the process's cgroup was removed: " + excerpt(path));
    }
    // The path is joined under the cgroup root; a ".." part would leave it.
    for (std::string_view part : split(path, '/')) {
      if (part == "..") {
        return make_error(ErrorKind::kInvalidData, "cgroup path with '..': " + excerpt(path));
      }
    }
    return std::string(path);
  }
  if (!any_line) return make_error(ErrorKind::kInvalidData, "empty cgroup membership file");
  return make_error(ErrorKind::kUnsupported,
                    "this host has only cgroup v1 hierarchies; the job's CPU time cannot be read "
                    "from cgroup v2",
                    "boot with systemd.unified_cgroup_hierarchy=1, or use --attribution exclusive");
}

Result<std::uint64_t> parse_proc_stat_busy_ticks(std::string_view content) {
  for (std::string_view line : split(content, '\n')) {
    if (line.substr(0, 4) != "cpu ") continue;
    std::vector<std::uint64_t> fields;
    for (std::string_view field : split(trim(line.substr(4)), ' ')) {
      if (field.empty()) continue;  // the kernel pads the aggregate line with two spaces
      const auto value = parse_u64(field);
      if (!value) {
        return make_error(ErrorKind::kInvalidData,
                          "malformed /proc/stat cpu line " + excerpt(line));
      }
      fields.push_back(*value);
    }
    // user nice system idle iowait irq softirq [steal guest guest_nice]; steal since 2.6.11.
    constexpr std::size_t kRequired = 7;
    if (fields.size() < kRequired) {
      return make_error(ErrorKind::kInvalidData,
                        "/proc/stat cpu line has " + std::to_string(fields.size()) +
                            " fields, expected at least 7: " + excerpt(line));
    }
    const std::uint64_t steal = fields.size() > 7 ? fields[7] : 0;
    return fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + steal;
  }
  return make_error(ErrorKind::kInvalidData, "/proc/stat has no aggregate 'cpu' line");
}

Result<CgroupSnapshot> snapshot_cgroup_path(const ProbeContext& probe,
                                            const std::string& cgroup_path, pid_t pid) {
  CgroupSnapshot snapshot;
  snapshot.cgroup_path = cgroup_path;
  auto root = find_cgroup2_root(probe.sysfs_root);
  if (!root) return std::unexpected(root.error());
  snapshot.cgroup_root = root->string();

  const fs::path group = *root / fs::path(cgroup_path).relative_path();
  auto usage = read_usage_usec(group / "cpu.stat");
  if (!usage) return std::unexpected(with_context(usage.error(), "job CPU time"));
  snapshot.usage_usec = *usage;

  const fs::path online_file = probe.sysfs_root / "devices/system/cpu/online";
  auto online_text = read_text_file(online_file);
  if (!online_text) return std::unexpected(online_text.error());
  auto online = parse_cpu_list(*online_text);
  if (!online) return std::unexpected(with_context(online.error(), online_file.string()));
  snapshot.online_cpus = static_cast<int>(online->size());

  auto allocated = read_allocated_cpus(*root, cgroup_path, probe.proc_root, pid);
  if (!allocated) return std::unexpected(with_context(allocated.error(), "allocated CPUs"));
  // An affinity mask may name CPUs that are offline; they cannot carry the job's share.
  for (int cpu : allocated->cpus) {
    if (std::binary_search(online->begin(), online->end(), cpu)) {
      snapshot.allocated_cpus.push_back(cpu);
    }
  }
  snapshot.allocated_cpus_source = std::move(allocated->source);
  if (snapshot.allocated_cpus.empty()) {
    return make_error(ErrorKind::kInvalidData,
                      snapshot.allocated_cpus_source + " names no online CPU");
  }

  const fs::path stat_file = probe.proc_root / "stat";
  auto stat_text = read_text_file(stat_file);
  if (!stat_text) return std::unexpected(stat_text.error());
  auto busy = parse_proc_stat_busy_ticks(*stat_text);
  if (!busy) return std::unexpected(with_context(busy.error(), stat_file.string()));
  snapshot.node_busy_ticks = *busy;

  snapshot.ticks_per_second = ::sysconf(_SC_CLK_TCK);
  if (snapshot.ticks_per_second <= 0) {
    return make_error(ErrorKind::kUnsupported, "sysconf(_SC_CLK_TCK) gave no USER_HZ");
  }
  return snapshot;
}

Result<CgroupSnapshot> snapshot_cgroup_usage(const ProbeContext& probe, pid_t pid) {
  const fs::path membership = probe.proc_root / std::to_string(pid) / "cgroup";
  auto content = read_text_file(membership);
  if (!content) return std::unexpected(content.error());
  auto path = parse_proc_cgroup(*content);
  if (!path) return std::unexpected(with_context(path.error(), membership.string()));
  return snapshot_cgroup_path(probe, *path, pid);
}

Result<CgroupUsage> usage_between(const CgroupSnapshot& before, const CgroupSnapshot& after) {
  if (before.cgroup_path != after.cgroup_path) {
    return make_error(ErrorKind::kInvalidData,
                      "the snapshots are of different cgroups: " + excerpt(before.cgroup_path) +
                          " and " + excerpt(after.cgroup_path));
  }
  if (after.usage_usec < before.usage_usec) {
    return make_error(
        ErrorKind::kInvalidData,
        "cgroup " + before.cgroup_path + ": usage_usec went backwards (the cgroup was recreated?)");
  }
  if (after.node_busy_ticks < before.node_busy_ticks) {
    return make_error(ErrorKind::kInvalidData,
                      "/proc/stat busy time went backwards (a reboot or CPU hot-unplug?)");
  }
  if (before.ticks_per_second <= 0 || before.ticks_per_second != after.ticks_per_second) {
    return make_error(ErrorKind::kInvalidData, "the snapshots disagree on USER_HZ");
  }
  CgroupUsage usage;
  usage.cgroup_path = after.cgroup_path;
  usage.allocated_cpus_source = after.allocated_cpus_source;
  constexpr double kMicrosecondsPerSecond = 1e6;
  usage.job_cpu_s =
      static_cast<double>(after.usage_usec - before.usage_usec) / kMicrosecondsPerSecond;
  usage.node_busy_cpu_s = static_cast<double>(after.node_busy_ticks - before.node_busy_ticks) /
                          static_cast<double>(after.ticks_per_second);
  // The job could only rely on the CPUs it held throughout.
  usage.allocated_cpus =
      static_cast<int>(std::min(before.allocated_cpus.size(), after.allocated_cpus.size()));
  usage.online_cpus = std::max(before.online_cpus, after.online_cpus);
  if (before.allocated_cpus != after.allocated_cpus) {
    usage.warnings.push_back(
        "the job's CPUs changed during the run (" + std::to_string(before.allocated_cpus.size()) +
        " -> " + std::to_string(after.allocated_cpus.size()) + "); the smaller set was used");
  }
  if (before.online_cpus != after.online_cpus) {
    usage.warnings.push_back("the number of online CPUs changed during the run (" +
                             std::to_string(before.online_cpus) + " -> " +
                             std::to_string(after.online_cpus) + "); the larger was used");
  }
  return usage;
}

}  // namespace jt
