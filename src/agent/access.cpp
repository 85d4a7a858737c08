// SPDX-License-Identifier: BSD-3-Clause
#include "agent/access.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

namespace jt::agent {

bool is_operator(const AccessPolicy& policy, const Peer& peer) {
  if (peer.uid == 0) return true;
  if (!policy.operators_gid) return false;
  if (peer.gid == *policy.operators_gid) return true;
  return std::ranges::find(peer.groups, *policy.operators_gid) != peer.groups.end();
}

void Presence::note(uid_t uid, std::int64_t from_ns, std::int64_t to_ns) {
  auto& spans = spans_[uid];
  spans.push_back({from_ns, to_ns});
  std::ranges::sort(spans, {}, &TimeSpan::from_ns);
  std::vector<TimeSpan> merged;
  for (const TimeSpan& s : spans) {
    if (!merged.empty() && s.from_ns <= merged.back().to_ns) {
      merged.back().to_ns = std::max(merged.back().to_ns, s.to_ns);
    } else {
      merged.push_back(s);
    }
  }
  spans = std::move(merged);
}

void Presence::scan(const std::filesystem::path& proc_root, std::int64_t now_ns,
                    std::int64_t period_ns, uid_t first_user_uid) {
  // One stat() per process: the directory of a process belongs to its effective user.
  std::set<uid_t> seen;
  if (DIR* dir = ::opendir(proc_root.c_str())) {
    while (const dirent* entry = ::readdir(dir)) {
      if (!std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) continue;
      struct stat st {};
      if (::fstatat(::dirfd(dir), entry->d_name, &st, 0) != 0) continue;
      if (st.st_uid >= first_user_uid) seen.insert(st.st_uid);
    }
    ::closedir(dir);
  }
  // A user seen now was there since the last scan, if that scan was recent.
  const std::int64_t since =
      last_scan_ns_ > 0 && now_ns - last_scan_ns_ <= 2 * period_ns ? last_scan_ns_ : now_ns;
  for (uid_t uid : seen) note(uid, since, now_ns);
  last_scan_ns_ = now_ns;
}

bool Presence::covers(uid_t uid, std::int64_t from_ns, std::int64_t to_ns,
                      std::int64_t slack_ns) const {
  const auto it = spans_.find(uid);
  if (it == spans_.end()) return false;
  return std::ranges::any_of(it->second, [&](const TimeSpan& s) {
    return s.from_ns - slack_ns <= from_ns && to_ns <= s.to_ns + slack_ns;
  });
}

bool Presence::others_present(uid_t uid, std::int64_t from_ns, std::int64_t to_ns,
                              uid_t first_user_uid, std::int64_t slack_ns) const {
  for (const auto& [other, spans] : spans_) {
    if (other == uid || other < first_user_uid) continue;
    for (const TimeSpan& s : spans) {
      if (s.from_ns - slack_ns <= to_ns && from_ns <= s.to_ns + slack_ns) return true;
    }
  }
  return false;
}

std::vector<TimeSpan> Presence::of(uid_t uid) const {
  const auto it = spans_.find(uid);
  return it == spans_.end() ? std::vector<TimeSpan>{} : it->second;
}

void Presence::forget_before(std::int64_t before_ns) {
  for (auto it = spans_.begin(); it != spans_.end();) {
    std::erase_if(it->second, [before_ns](const TimeSpan& s) { return s.to_ns < before_ns; });
    it = it->second.empty() ? spans_.erase(it) : std::next(it);
  }
}

std::optional<std::int64_t> process_start_ns(const std::filesystem::path& proc_root, pid_t pid) {
  std::ifstream in(proc_root / std::to_string(pid) / "stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name may hold spaces and parentheses: fields count from the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  for (int i = 3; i < 22 && fields >> field; ++i) {
  }
  unsigned long long ticks = 0;
  if (!(fields >> ticks)) return std::nullopt;
  const long hz = ::sysconf(_SC_CLK_TCK);
  if (hz <= 0) return std::nullopt;
  // starttime counts from boot on CLOCK_BOOTTIME; monotonic differs by the time suspended.
  timespec boot{};
  timespec mono{};
  clock_gettime(CLOCK_BOOTTIME, &boot);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  const std::int64_t suspended_ns =
      (static_cast<std::int64_t>(boot.tv_sec - mono.tv_sec)) * 1'000'000'000 +
      (boot.tv_nsec - mono.tv_nsec);
  const auto start = static_cast<std::int64_t>(ticks) * (1'000'000'000 / hz);
  return start - suspended_ns;
}

Decision decide(const AccessPolicy& policy, const Presence& presence, const Peer& peer,
                std::int64_t from_ns, std::int64_t to_ns) {
  Decision d;
  const bool privileged = is_operator(policy, peer);
  const auto scan_slack = static_cast<std::int64_t>(2.0 * policy.presence_scan_s * 1e9);
  d.exclusive = privileged || !presence.others_present(peer.uid, from_ns, to_ns,
                                                       policy.first_user_uid, scan_slack);
  d.floor_s = d.exclusive ? policy.exclusive_floor_s : policy.shared_floor_s;
  if (privileged) {
    d.allowed = true;
    return d;
  }
  // One floor of slack at the edges: a process seen at its first scan, or a run that asks for
  // the boundary just before it started, is not refused for that.
  const auto slack = static_cast<std::int64_t>(d.floor_s * 1e9);
  d.allowed = presence.covers(peer.uid, from_ns, to_ns, slack);
  if (!d.allowed) {
    d.reason = fmt::format(
        "uid {} had no process or job on this node for the whole of the interval asked for; "
        "energy is served only for times you had work here",
        peer.uid);
  }
  return d;
}

}  // namespace jt::agent
