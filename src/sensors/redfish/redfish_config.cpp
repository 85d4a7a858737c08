// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/redfish/redfish_config.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/json_reader.hpp"

namespace jt::redfish {

namespace {

// A config file is a few hundred bytes; anything far larger is not one.
constexpr std::size_t kMaxConfigBytes = std::size_t{64} * 1024;
constexpr double kMaxTimeoutS = 300.0;
// Faster than this, one request would still be running when the next is due
// (docs/backends/redfish.md F5).
constexpr double kMinIntervalS = 0.1;
constexpr double kMaxIntervalS = 3600.0;

constexpr std::array<std::string_view, 11> kKnownKeys = {
    "schema",     "version", "url",       "username", "password",  "auth",
    "verify_tls", "ca_file", "timeout_s", "chassis",  "interval_s"};

constexpr const char* kConfigSchema = "jouletrace.redfish-config";
constexpr int kConfigSchemaVersion = 1;

// Keeps scheme://host[:port]; a trailing "/" or "/redfish/v1" is tolerated and dropped. The
// messages say what is wrong with the url, which they do not name.
Result<std::string> normalise_url(std::string url) {
  const bool https = url.starts_with("https://");
  if (!https && !url.starts_with("http://")) {
    return make_error(ErrorKind::kInvalidData,
                      "must start with https:// (or http://), e.g. https://bmc.example");
  }
  const std::size_t host_start =
      https ? std::string_view("https://").size() : std::string_view("http://").size();
  while (url.size() > host_start && url.ends_with("/")) url.pop_back();
  if (url.ends_with("/redfish/v1")) url.resize(url.size() - std::string_view("/redfish/v1").size());
  const std::string_view authority = std::string_view(url).substr(host_start);
  if (authority.empty()) return make_error(ErrorKind::kInvalidData, "has no host");
  if (authority.find('/') != std::string_view::npos) {
    return make_error(ErrorKind::kInvalidData,
                      "must be the BMC's address only (scheme, host, optional port), without a "
                      "path");
  }
  if (authority.find('@') != std::string_view::npos) {
    return make_error(ErrorKind::kInvalidData,
                      "must not hold credentials; use \"username\" and \"password\"");
  }
  for (const char c : authority) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '?' || c == '#') {
      return make_error(ErrorKind::kInvalidData, "holds a character not allowed in a host");
    }
  }
  return url;
}

// The format's name and version (schemas/redfish-config.schema.json). Both are optional: configs
// written before they existed have neither and are read as version 1.
void check_config_format(const JsonReader& top) {
  if (const auto schema = top.optional_member("schema")) {
    if (const std::string name = schema->as_string(); name != kConfigSchema) {
      schema->fail(fmt::format("is \"{}\", not \"{}\" (version {})", name, kConfigSchema,
                               kConfigSchemaVersion));
    }
  }
  if (const auto version = top.optional_member("version")) {
    if (const auto number = version->as_integer(); number != kConfigSchemaVersion) {
      version->fail(fmt::format("is {}; this jouletrace reads {} version {}", number, kConfigSchema,
                                kConfigSchemaVersion));
    }
  }
}

// Where the BMC is and how to log in.
void read_bmc_address(const JsonReader& top, Config& config) {
  const JsonReader url = top.member("url");
  auto normalised = normalise_url(url.as_string());
  if (!normalised) url.fail(normalised.error().message);
  config.url = normalised.value_or(std::string());
  const JsonReader username = top.member("username");
  config.username = username.as_string();
  if (config.username.empty()) username.fail("is empty");
  config.password = top.string("password");
  if (const auto auth = top.optional_member("auth")) {
    const std::string method = auth->as_string();
    if (method == "session") {
      config.auth = AuthMethod::kSession;
    } else if (!method.empty() && method != "basic") {
      auth->fail("must be \"basic\" or \"session\"");
    }
  }
  if (const auto verify = top.optional_member("verify_tls")) config.verify_tls = verify->as_bool();
  if (const auto ca_file = top.optional_member("ca_file")) config.ca_file = ca_file->as_string();
}

void read_timing(const JsonReader& top, Config& config) {
  if (const auto timeout = top.optional_member("timeout_s")) {
    config.timeout_s = timeout->as_number(0.0, kMaxTimeoutS);
    if (config.timeout_s <= 0.0) timeout->fail("must be above 0");
  }
  if (const auto interval = top.optional_member("interval_s")) {
    config.interval_s = interval->as_number(kMinIntervalS, kMaxIntervalS);
  }
}

}  // namespace

const char* to_string(AuthMethod method) {
  return method == AuthMethod::kSession ? "session" : "basic";
}

Result<Config> parse_config(std::string_view text) {
  const auto root = parse_json(text, "the file");
  if (!root) return std::unexpected(root.error());
  const JsonReader top = JsonReader(*root, "").as_object();
  top.reject_unknown_keys(kKnownKeys);
  check_config_format(top);
  Config config;
  read_bmc_address(top, config);
  read_timing(top, config);
  if (const auto chassis = top.optional_member("chassis")) {
    if (std::string id = chassis->as_string(); !id.empty()) config.chassis = std::move(id);
    if (config.chassis.find('/') != std::string::npos) {
      chassis->fail("must be a chassis Id such as \"1\", or \"auto\"");
    }
  }
  if (!top.ok()) return make_error(ErrorKind::kInvalidData, top.problem());
  return config;
}

Result<Config> load_config(const std::filesystem::path& path) {
  const std::string where = path.string();
  const std::string chmod_hint = fmt::format("chmod 600 '{}' (as its owner)", where);
  // Checked on the open descriptor, so the file judged is the file read.
  // O_NONBLOCK: a FIFO in place of the file must not hang the probe before the S_ISREG check.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == EACCES) {
      return make_error(
          ErrorKind::kPermissionDenied,
          fmt::format("cannot read the Redfish config {}: {}", where, std::strerror(err)),
          "run jouletrace as the user who owns the file");
    }
    return make_error(
        err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo,
        fmt::format("cannot open the Redfish config {}: {}", where, std::strerror(err)),
        "check --redfish-config or $JOULETRACE_REDFISH_CONFIG");
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return make_error(ErrorKind::kIo, fmt::format("cannot stat the Redfish config {}: {}", where,
                                                  std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("the Redfish config {} is not a regular file", where));
  }
  if (st.st_uid != ::geteuid()) {
    return make_error(
        ErrorKind::kPermissionDenied,
        fmt::format("refusing the Redfish config {}: it holds a password and is owned by uid {}, "
                    "not by the user running jouletrace (uid {})",
                    where, st.st_uid, ::geteuid()),
        "use a config file of your own, readable only by you (" + chmod_hint + ")");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return make_error(
        ErrorKind::kPermissionDenied,
        fmt::format("refusing the Redfish config {}: it holds a password but its mode {:04o} lets "
                    "group or others at it",
                    where, st.st_mode & 07777),
        chmod_hint);
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxConfigBytes) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("the Redfish config {} is {} bytes; a config is a few hundred",
                                  where, st.st_size));
  }

  std::string text;
  std::array<char, 4096> buffer{};
  while (text.size() <= kMaxConfigBytes) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorKind::kIo, fmt::format("cannot read the Redfish config {}: {}", where,
                                                    std::strerror(errno)));
    }
    if (n == 0) break;
    text.append(buffer.data(), static_cast<std::size_t>(n));
  }

  auto config = parse_config(text);
  if (!config) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("bad Redfish config {}: {}", where, config.error().message),
                      "see docs/backends/redfish.md for the format");
  }
  config->source = path;
  return config;
}

std::optional<std::filesystem::path> config_path(const ProbeContext& context) {
  if (!context.redfish_config.empty()) return context.redfish_config;
  const char* env = std::getenv("JOULETRACE_REDFISH_CONFIG");
  if (env != nullptr && *env != '\0') return std::filesystem::path(env);
  return std::nullopt;
}

}  // namespace jt::redfish
