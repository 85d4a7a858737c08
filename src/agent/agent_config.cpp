// SPDX-License-Identifier: BSD-3-Clause
#include "agent/agent_config.hpp"

#include <fmt/format.h>
#include <grp.h>

#include <array>
#include <fstream>

#include "core/json_reader.hpp"

namespace jt::agent {

namespace {

// A group given by name or number; empty (with a problem recorded) when it does not exist.
std::optional<gid_t> group_of(const JsonReader& value) {
  if (value.value().is_number_integer()) return static_cast<gid_t>(value.as_integer(0, 0x7fffffff));
  const std::string name = value.as_string();
  if (const group* g = ::getgrnam(name.c_str())) return g->gr_gid;
  value.fail(fmt::format("names no group on this node ('{}')", name));
  return std::nullopt;
}

void read_history(const JsonReader& h, HistoryOptions& options) {
  static constexpr std::array<std::string_view, 3> kKnown{"fine_span_s", "coarse_step_s",
                                                          "coarse_span_s"};
  h.reject_unknown_keys(kKnown);
  if (auto v = h.optional_member("fine_span_s")) options.fine_span_s = v->as_number(1.0, 86400.0);
  if (auto v = h.optional_member("coarse_step_s"))
    options.coarse_step_s = v->as_number(0.1, 3600.0);
  if (auto v = h.optional_member("coarse_span_s"))
    options.coarse_span_s = v->as_number(60.0, 31.0 * 86400.0);
}

void read_limits(const JsonReader& l, ServerLimits& limits) {
  static constexpr std::array<std::string_view, 4> kKnown{
      "max_connections", "max_connections_per_user", "requests_per_s", "request_burst"};
  l.reject_unknown_keys(kKnown);
  if (auto v = l.optional_member("max_connections"))
    limits.max_connections = static_cast<std::size_t>(v->as_integer(1, 65536));
  if (auto v = l.optional_member("max_connections_per_user")) {
    limits.max_connections_per_user = static_cast<std::size_t>(v->as_integer(1, 65536));
  }
  if (auto v = l.optional_member("requests_per_s")) limits.requests_per_s = v->as_number(0.1, 1e6);
  if (auto v = l.optional_member("request_burst")) limits.request_burst = v->as_number(1.0, 1e6);
}

void read_store(const JsonReader& j, AgentConfig& config) {
  static constexpr std::array<std::string_view, 3> kKnown{"kind", "path", "credentials_file"};
  j.reject_unknown_keys(kKnown);
  const std::string kind = j.optional_member("kind") ? j.member("kind").as_string() : "sqlite";
  if (kind == "none") {
    config.store_enabled = false;
  } else if (kind == "sqlite") {
    config.store.kind = store::StoreConfig::Kind::kSqlite;
  } else if (kind == "postgresql") {
    config.store.kind = store::StoreConfig::Kind::kPostgresql;
    config.store.credentials_file = j.member("credentials_file").as_string();
  } else {
    j.member("kind").fail("is sqlite, postgresql or none");
  }
  if (auto v = j.optional_member("path")) config.store.sqlite_path = v->as_string();
}

}  // namespace

Result<AgentConfig> read_agent_config(const std::filesystem::path& path, double interval_s) {
  AgentConfig config;
  config.history.fine_step_s = interval_s;
  config.policy.exclusive_floor_s = interval_s;
  if (path.empty()) return config;
  std::ifstream in(path);
  if (!in) {
    return make_error(ErrorKind::kNotFound,
                      fmt::format("cannot read the agent config {}", path.string()),
                      "give --config a readable file, or leave it out for the defaults");
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto document = parse_json(text, path.string());
  if (!document) return std::unexpected(document.error());
  const JsonReader top(*document, "");
  static constexpr std::array<std::string_view, 7> kKnown{
      "operators_group", "shared_floor_s", "first_user_uid", "presence_scan_s",
      "history",         "limits",         "store"};
  top.as_object().reject_unknown_keys(kKnown);
  if (auto v = top.optional_member("operators_group")) config.policy.operators_gid = group_of(*v);
  if (auto v = top.optional_member("shared_floor_s"))
    config.policy.shared_floor_s = v->as_number(interval_s, 3600.0);
  if (auto v = top.optional_member("first_user_uid")) {
    config.policy.first_user_uid = static_cast<uid_t>(v->as_integer(1, 0x7fffffff));
  }
  if (auto v = top.optional_member("presence_scan_s"))
    config.policy.presence_scan_s = v->as_number(0.1, 60.0);
  if (auto v = top.optional_member("history")) read_history(v->as_object(), config.history);
  if (auto v = top.optional_member("limits")) read_limits(v->as_object(), config.limits);
  if (auto v = top.optional_member("store")) read_store(v->as_object(), config);
  if (!top.ok()) {
    return make_error(ErrorKind::kInvalidData, fmt::format("{}: {}", path.string(), top.problem()),
                      "docs/AGENT.md lists the settings");
  }
  return config;
}

}  // namespace jt::agent
