// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/redfish/redfish_client.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "core/json_reader.hpp"
#include "sensors/redfish/redfish_json.hpp"

namespace jt::redfish {

namespace {

// A Redfish resource is a few kB; a large Sensors collection a few hundred. Far beyond that the
// answer is not one, and buffering it would only cost memory.
constexpr std::size_t kMaxBodyBytes = std::size_t{16} * 1024 * 1024;
constexpr long kMsPerS = 1000;

CURL* handle(void* curl) { return static_cast<CURL*>(curl); }

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<std::pair<std::string*, bool*>*>(user);
  const std::size_t bytes = size * count;
  if (sink->first->size() + bytes > kMaxBodyBytes) {
    *sink->second = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  sink->first->append(data, bytes);
  return bytes;
}

std::size_t append_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* lines = static_cast<std::vector<std::string>*>(user);
  const std::size_t bytes = size * count;
  // A new status line starts a new header block (after a 100 Continue, for instance).
  const std::string_view line(data, bytes);
  if (line.starts_with("HTTP/")) lines->clear();
  if (lines->size() < 256) lines->emplace_back(line);
  return bytes;
}

ErrorKind error_kind(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return ErrorKind::kTimeout;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR: return ErrorKind::kUnreachable;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED: return ErrorKind::kTls;
    default: return ErrorKind::kInvalidData;
  }
}

const char* method_name(int method) {
  switch (method) {
    case 1: return "POST";
    case 2: return "DELETE";
    default: return "GET";
  }
}

long timeout_ms(double seconds) { return std::max(1L, std::lround(seconds * kMsPerS)); }

// The session resource to DELETE at the end, from the login's answer; empty when none is named.
std::string session_to_close(const std::string& sessions_path,
                             const std::optional<std::string>& location, const std::string& body) {
  // Only a session resource is ever DELETEd, and only on the configured BMC: the token never goes
  // to another host, whatever the Location says.
  auto is_session = [&](const std::string& path) {
    return path.starts_with(sessions_path + "/") && path.size() > sessions_path.size() + 1 &&
           path.find("..") == std::string::npos;
  };
  if (location && !location->empty()) {
    // BMCs answer the Location relative or absolute, and absolute ones often with an address
    // other than the configured one (an internal IP, a name behind NAT or a proxy): keep the path.
    std::string path = *location;
    if (!path.starts_with("/") || path.starts_with("//")) {
      path.clear();
      if (CURLU* url = curl_url()) {
        char* part = nullptr;
        if (curl_url_set(url, CURLUPART_URL, location->c_str(), 0) == CURLUE_OK &&
            curl_url_get(url, CURLUPART_PATH, &part, 0) == CURLUE_OK && part != nullptr) {
          path = part;
        }
        curl_free(part);
        curl_url_cleanup(url);
      }
    }
    if (is_session(path)) return path;
  }
  // No usable Location: the session resource names itself.
  const auto session = parse_json(body, "the session");
  if (!session) return {};
  std::string path = string_member(*session, "@odata.id");
  return is_session(path) ? path : std::string();
}

}  // namespace

Client::Client(Config config) : config_(std::move(config)) {}

Client::~Client() {
  logout();
  if (curl_ != nullptr) curl_easy_cleanup(handle(curl_));
}

Result<std::unique_ptr<Client>> Client::create(const Config& config) {
  static std::once_flag global_init;
  static CURLcode global_result = CURLE_OK;
  std::call_once(global_init, [] { global_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (global_result != CURLE_OK) {
    return make_error(ErrorKind::kUnsupported, fmt::format("libcurl initialisation failed: {}",
                                                           curl_easy_strerror(global_result)));
  }
  std::unique_ptr<Client> client(new Client(config));
  client->curl_ = curl_easy_init();
  if (client->curl_ == nullptr) {
    return make_error(ErrorKind::kUnsupported, "libcurl could not create a handle");
  }
  CURL* curl = handle(client->curl_);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: we run in threads
  // The BMC sits on the management network: an inherited http_proxy would send it (and basic
  // credentials over http) elsewhere.
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms(config.timeout_s));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms(config.timeout_s));
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "jouletrace/" JOULETRACE_VERSION);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, config.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, config.verify_tls ? 2L : 0L);
  if (!config.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, client->config_.ca_file.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, append_header);
  return client;
}

Result<Client::Response> Client::perform(Method method, const std::string& path,
                                         const std::string& body, bool authenticated) {
  CURL* curl = handle(curl_);
  const std::string url = url_for(path);
  Response response;
  body_too_large_ = false;
  std::pair<std::string*, bool*> sink{&response.body, &body_too_large_};
  char error_buffer[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, nullptr);
  if (method == Method::kPost) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  } else if (method == Method::kDelete) {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
  }

  const bool basic = authenticated && config_.auth == AuthMethod::kBasic;
  curl_easy_setopt(curl, CURLOPT_HTTPAUTH, basic ? CURLAUTH_BASIC : CURLAUTH_NONE);
  curl_easy_setopt(curl, CURLOPT_USERNAME, basic ? config_.username.c_str() : nullptr);
  curl_easy_setopt(curl, CURLOPT_PASSWORD, basic ? config_.password.c_str() : nullptr);

  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/json");
  headers = curl_slist_append(headers, "OData-Version: 4.0");
  if (method == Method::kPost)
    headers = curl_slist_append(headers, "Content-Type: application/json");
  const std::string token_header = "X-Auth-Token: " + token_;
  if (authenticated && config_.auth == AuthMethod::kSession && !token_.empty()) {
    headers = curl_slist_append(headers, token_header.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  const CURLcode code = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, nullptr);
  curl_slist_free_all(headers);

  const char* verb = method_name(static_cast<int>(method));
  if (code != CURLE_OK) {
    if (code == CURLE_WRITE_ERROR && body_too_large_) {
      return make_error(ErrorKind::kInvalidData, fmt::format("{} {}: the answer exceeds {} MiB",
                                                             verb, url, kMaxBodyBytes >> 20));
    }
    const ErrorKind kind = error_kind(code);
    std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    if (kind == ErrorKind::kTimeout) {
      detail = fmt::format("no answer within {:g} s ({})", config_.timeout_s, detail);
    }
    return make_error(kind, fmt::format("{} {}: {}", verb, url, detail));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

Error Client::status_error(const std::string& path, const Response& response) const {
  const std::string detail = error_message(response.body);
  const bool auth = response.status == 401 || response.status == 403;
  std::string message = fmt::format("GET {}: HTTP {}", url_for(path), response.status);
  if (auth) {
    message += fmt::format(" ({} as user \"{}\", {} auth)",
                           response.status == 401 ? "credentials refused" : "access forbidden",
                           config_.username, to_string(config_.auth));
  }
  if (!detail.empty()) message += ": " + detail;
  return Error{auth ? ErrorKind::kPermissionDenied : ErrorKind::kIo,
               std::move(message),
               {},
               response.status};
}

Result<void> Client::login() {
  token_.clear();
  session_path_.clear();
  const std::string body =
      nlohmann::json{{"UserName", config_.username}, {"Password", config_.password}}.dump();
  auto response = perform(Method::kPost, sessions_path_, body, false);
  if (!response) return std::unexpected(response.error());
  ++logins_;
  if (response->status < 200 || response->status >= 300) {
    Error error = status_error(sessions_path_, *response);
    error.message = fmt::format("session login at {} as user \"{}\" failed: HTTP {}",
                                url_for(sessions_path_), config_.username, response->status);
    const std::string detail = error_message(response->body);
    if (!detail.empty()) error.message += ": " + detail;
    return std::unexpected(error);
  }
  auto token = header_value(response->headers, "X-Auth-Token");
  if (!token || token->empty()) {
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("session login at {} answered HTTP {} without an X-Auth-Token "
                                  "header",
                                  url_for(sessions_path_), response->status));
  }
  token_ = std::move(*token);
  session_path_ =
      session_to_close(sessions_path_, header_value(response->headers, "Location"), response->body);
  return {};
}

void Client::logout() {
  if (token_.empty() || session_path_.empty() || curl_ == nullptr) return;
  // Best effort: BMCs allow few sessions (16 on Supermicro), so one left open until it times
  // out can lock others out; a failure here changes nothing about the measurement.
  (void)perform(Method::kDelete, session_path_, {}, true);
  token_.clear();
}

Result<std::string> Client::get_service_root() {
  const std::string path = "/redfish/v1/";
  auto response = perform(Method::kGet, path, {}, false);
  if (!response) return std::unexpected(response.error());
  if (response->status < 200 || response->status >= 300) {
    return std::unexpected(status_error(path, *response));
  }
  return std::move(response->body);
}

Result<std::string> Client::get(const std::string& path) {
  const bool session = config_.auth == AuthMethod::kSession;
  bool fresh_login = false;
  if (session && token_.empty()) {
    if (auto logged_in = login(); !logged_in) return std::unexpected(logged_in.error());
    fresh_login = true;
  }
  auto response = perform(Method::kGet, path, {}, true);
  if (!response) return std::unexpected(response.error());
  if (session && !fresh_login && (response->status == 401)) {
    // The BMC dropped the session (timeout, reboot, another client's logout): log in once more.
    if (auto logged_in = login(); !logged_in) return std::unexpected(logged_in.error());
    response = perform(Method::kGet, path, {}, true);
    if (!response) return std::unexpected(response.error());
  }
  if (response->status < 200 || response->status >= 300) {
    return std::unexpected(status_error(path, *response));
  }
  return std::move(response->body);
}

}  // namespace jt::redfish
