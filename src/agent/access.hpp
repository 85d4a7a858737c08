// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/history.hpp"

namespace jt::agent {

// Who is on the other end of a connection, from the kernel (SO_PEERCRED, SO_PEERGROUPS).
struct Peer {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
  std::vector<gid_t> groups;
};

// docs/AGENT.md, "Access policy".
struct AccessPolicy {
  std::optional<gid_t> operators_gid;  // members see everything, as root does
  double shared_floor_s = 1.0;         // resolution while other users' work is on the node
  double exclusive_floor_s = 0.1;      // while the user has the node alone (the sampling interval)
  uid_t first_user_uid = 1000;         // below: system accounts, which share nothing
  // How often /proc is scanned: someone seen at the last scan may still be there now.
  double presence_scan_s = 1.0;
};

bool is_operator(const AccessPolicy& policy, const Peer& peer);

// When each user had work on the node: processes seen by scanning /proc, the processes of
// clients that connected, and jobs registered by root. Kept as long as the history.
class Presence {
 public:
  // Scans proc_root: every user account with a process is present from the last scan to now.
  void scan(const std::filesystem::path& proc_root, std::int64_t now_ns, std::int64_t period_ns,
            uid_t first_user_uid);
  void note(uid_t uid, std::int64_t from_ns, std::int64_t to_ns);
  // Whether [from, to] lies within the user's presence, allowing `slack` at its edges.
  bool covers(uid_t uid, std::int64_t from_ns, std::int64_t to_ns, std::int64_t slack_ns) const;
  // Whether another user account was present at some instant of [from, to], give or take
  // `slack` (the time between two scans).
  bool others_present(uid_t uid, std::int64_t from_ns, std::int64_t to_ns, uid_t first_user_uid,
                      std::int64_t slack_ns) const;
  std::vector<TimeSpan> of(uid_t uid) const;
  void forget_before(std::int64_t before_ns);
  std::size_t users() const { return spans_.size(); }

 private:
  std::map<uid_t, std::vector<TimeSpan>> spans_;
  std::int64_t last_scan_ns_ = 0;
};

// The start of a process, on CLOCK_MONOTONIC, from /proc/PID/stat; empty when unreadable.
std::optional<std::int64_t> process_start_ns(const std::filesystem::path& proc_root, pid_t pid);

struct Decision {
  bool allowed = false;
  bool exclusive = false;
  double floor_s = 1.0;  // the finest resolution served
  std::string reason;    // why not, for the client
};

// What `peer` may see of [from, to]: everything for root and operators; else only an interval
// in which the user was present, at the floor for a shared or an exclusive node.
Decision decide(const AccessPolicy& policy, const Presence& presence, const Peer& peer,
                std::int64_t from_ns, std::int64_t to_ns);

}  // namespace jt::agent
