#include "sensors/redfish/redfish_config.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

namespace jt::redfish {

namespace {

using nlohmann::json;

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

// The format's name and version (schemas/redfish-config.schema.json). Both are optional: configs
// written before they existed have neither and are read as version 1.
constexpr const char* kConfigSchema = "jouletrace.redfish-config";
constexpr int kConfigSchemaVersion = 1;

Result<std::string> string_field(const json& root, const char* key, bool required) {
  const auto it = root.find(key);
  if (it == root.end()) {
    if (required) return make_error(ErrorKind::kInvalidData, fmt::format("\"{}\" is missing", key));
    return std::string();
  }
  if (!it->is_string()) {
    return make_error(ErrorKind::kInvalidData, fmt::format("\"{}\" must be a string", key));
  }
  return it->get<std::string>();
}

Result<double> seconds_field(const json& root, const char* key, double fallback, double min,
                             double max) {
  const auto it = root.find(key);
  if (it == root.end()) return fallback;
  if (!it->is_number()) {
    return make_error(ErrorKind::kInvalidData, fmt::format("\"{}\" must be a number", key));
  }
  const double value = it->get<double>();
  if (!std::isfinite(value) || value < min || value > max) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("\"{}\" must be between {:g} and {:g} seconds", key, min, max));
  }
  return value;
}

// Keeps scheme://host[:port]; a trailing "/" or "/redfish/v1" is tolerated and dropped.
Result<std::string> normalise_url(std::string url) {
  const bool https = url.starts_with("https://");
  if (!https && !url.starts_with("http://")) {
    return make_error(ErrorKind::kInvalidData,
                      "\"url\" must start with https:// (or http://), e.g. https://bmc.example");
  }
  const std::size_t host_start =
      https ? std::string_view("https://").size() : std::string_view("http://").size();
  while (url.size() > host_start && url.ends_with("/")) url.pop_back();
  if (url.ends_with("/redfish/v1")) url.resize(url.size() - std::string_view("/redfish/v1").size());
  const std::string_view authority = std::string_view(url).substr(host_start);
  if (authority.empty()) return make_error(ErrorKind::kInvalidData, "\"url\" has no host");
  if (authority.find('/') != std::string_view::npos) {
    return make_error(ErrorKind::kInvalidData,
                      "\"url\" must be the BMC's address only (scheme, host, optional port), "
                      "without a path");
  }
  if (authority.find('@') != std::string_view::npos) {
    return make_error(ErrorKind::kInvalidData,
                      "\"url\" must not hold credentials; use \"username\" and \"password\"");
  }
  for (const char c : authority) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '?' || c == '#') {
      return make_error(ErrorKind::kInvalidData, "\"url\" holds a character not allowed in a host");
    }
  }
  return url;
}

}  // namespace

const char* to_string(AuthMethod method) {
  return method == AuthMethod::kSession ? "session" : "basic";
}

Result<Config> parse_config(std::string_view text) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    // Only the position: the parser's own message quotes the text near it, which may be the
    // password.
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("not valid JSON (error near byte {})", e.byte));
  } catch (const json::exception&) {
    return make_error(ErrorKind::kInvalidData, "not valid JSON");
  }
  if (!root.is_object()) return make_error(ErrorKind::kInvalidData, "not a JSON object");
  for (const auto& [key, value] : root.items()) {
    bool known = false;
    for (const auto k : kKnownKeys) known = known || key == k;
    if (!known) {
      return make_error(ErrorKind::kInvalidData, fmt::format("unknown key \"{}\"", key));
    }
  }

  auto schema = string_field(root, "schema", false);
  if (!schema) return std::unexpected(schema.error());
  if (root.contains("schema") && *schema != kConfigSchema) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("\"schema\" is \"{}\", not \"{}\" (version {})", *schema,
                                  kConfigSchema, kConfigSchemaVersion));
  }
  if (const auto it = root.find("version"); it != root.end()) {
    if (!it->is_number_integer()) {
      return make_error(ErrorKind::kInvalidData, "\"version\" must be an integer");
    }
    if (*it != kConfigSchemaVersion) {
      return make_error(ErrorKind::kInvalidData,
                        fmt::format("\"version\" is {}; this jouletrace reads {} version {}",
                                    it->dump(), kConfigSchema, kConfigSchemaVersion));
    }
  }

  Config config;
  auto url = string_field(root, "url", true);
  if (!url) return std::unexpected(url.error());
  auto normalised = normalise_url(std::move(*url));
  if (!normalised) return std::unexpected(normalised.error());
  config.url = std::move(*normalised);

  auto username = string_field(root, "username", true);
  if (!username) return std::unexpected(username.error());
  if (username->empty()) return make_error(ErrorKind::kInvalidData, "\"username\" is empty");
  config.username = std::move(*username);
  auto password = string_field(root, "password", true);
  if (!password) return std::unexpected(password.error());
  config.password = std::move(*password);

  auto auth = string_field(root, "auth", false);
  if (!auth) return std::unexpected(auth.error());
  if (*auth == "session") {
    config.auth = AuthMethod::kSession;
  } else if (auth->empty() || *auth == "basic") {
    config.auth = AuthMethod::kBasic;
  } else {
    return make_error(ErrorKind::kInvalidData, "\"auth\" must be \"basic\" or \"session\"");
  }

  if (const auto it = root.find("verify_tls"); it != root.end()) {
    if (!it->is_boolean()) {
      return make_error(ErrorKind::kInvalidData, "\"verify_tls\" must be true or false");
    }
    config.verify_tls = it->get<bool>();
  }
  auto ca_file = string_field(root, "ca_file", false);
  if (!ca_file) return std::unexpected(ca_file.error());
  config.ca_file = std::move(*ca_file);

  auto timeout = seconds_field(root, "timeout_s", Config::kDefaultTimeoutS, 0.0, kMaxTimeoutS);
  if (!timeout) return std::unexpected(timeout.error());
  if (*timeout <= 0.0) return make_error(ErrorKind::kInvalidData, "\"timeout_s\" must be above 0");
  config.timeout_s = *timeout;
  auto interval =
      seconds_field(root, "interval_s", Config::kDefaultIntervalS, kMinIntervalS, kMaxIntervalS);
  if (!interval) return std::unexpected(interval.error());
  config.interval_s = *interval;

  auto chassis = string_field(root, "chassis", false);
  if (!chassis) return std::unexpected(chassis.error());
  if (!chassis->empty()) config.chassis = std::move(*chassis);
  if (config.chassis.find('/') != std::string::npos) {
    return make_error(ErrorKind::kInvalidData,
                      "\"chassis\" must be a chassis Id such as \"1\", or \"auto\"");
  }
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
