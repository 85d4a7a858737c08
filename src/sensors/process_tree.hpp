// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jt {

// One process as /proc/<pid>/stat describes it (proc(5)).
struct ProcessStat {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgrp = 0;
  char state = '?';
  std::string name;                    // comm, at most 15 bytes
  double own_cpu_s = 0.0;              // utime + stime, in seconds
  double waited_children_cpu_s = 0.0;  // cutime + cstime: the children it has waited for
  // Both: every CPU second of the process and of what it reaped.
  double cpu_with_waited_children_s = 0.0;
};

// Parses the content of /proc/<pid>/stat. The name may hold spaces and ')', so the fields are
// counted from the last ')'.
std::optional<ProcessStat> parse_proc_stat(std::string_view content, long ticks_per_second);

std::optional<ProcessStat> read_process(const std::filesystem::path& proc_root, pid_t pid);

// Every live process whose parent chain reaches `ancestor` (not `ancestor` itself), from one
// pass over <proc_root>. Zombies are left out: they no longer run.
std::vector<ProcessStat> descendants_of(const std::filesystem::path& proc_root, pid_t ancestor);

// Whether `pid` is `ancestor` or one of its descendants now.
bool is_in_tree(const std::filesystem::path& proc_root, pid_t pid, pid_t ancestor);

// CPU time of `root` and every live descendant, including the children each has waited for:
// every CPU second of the tree counted once while the tree runs. Children reaped by someone
// outside the tree are not in it.
double tree_cpu_s(const std::filesystem::path& proc_root, pid_t root);

// CPU time of everything below `ancestor` (not its own): the children it has waited for and
// every live descendant with what each has waited for. Children reaped by `ancestor` stay in,
// so the figure does not drop when one exits.
double cpu_below_s(const std::filesystem::path& proc_root, pid_t ancestor);

}  // namespace jt
