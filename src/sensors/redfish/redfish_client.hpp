#pragma once

#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "sensors/redfish/redfish_config.hpp"

namespace jt::redfish {

// Why a request to the BMC failed; the probe turns each into its own message and hint.
enum class Failure {
  kUnreachable,  // DNS, connection refused, no route
  kTimeout,      // no complete answer within timeout_s
  kTls,          // handshake or certificate verification
  kAuth,         // 401 or 403 (after one fresh login with session auth)
  kHttp,         // any other status than 2xx
  kProtocol,     // an answer that breaks the protocol: oversized body, session without token
};

const char* to_string(Failure failure);

struct FetchError {
  Failure failure = Failure::kHttp;
  std::string message;  // says which URL and what happened; never holds the password
  long http_status = 0;
};

template <typename T>
using Fetch = std::expected<T, FetchError>;

// One libcurl easy handle to one BMC, reused for every request so that the TLS connection
// stays open between polls. Handles basic auth or a Redfish session (X-Auth-Token), logging in
// again once when the BMC forgets the session. Not thread-safe; one per sensor.
class Client {
 public:
  static Fetch<std::unique_ptr<Client>> create(const Config& config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // GET of a service path such as "/redfish/v1/Chassis", authenticated; returns the body of a
  // 2xx answer.
  Fetch<std::string> get(const std::string& path);
  // The service root, which Redfish serves without authentication: checks reachability and TLS
  // before credentials are sent, and names the Chassis and Sessions collections.
  Fetch<std::string> get_service_root();
  // Where session logins go; from the service root's Links.Sessions.
  void set_sessions_path(std::string path) { sessions_path_ = std::move(path); }

  std::string url_for(const std::string& path) const { return config_.url + path; }
  const Config& config() const { return config_; }
  int logins() const { return logins_; }

 private:
  struct Response {
    long status = 0;
    std::string body;
    std::vector<std::string> headers;
  };
  enum class Method { kGet, kPost, kDelete };

  explicit Client(Config config);
  Fetch<Response> perform(Method method, const std::string& path, const std::string& body,
                          bool authenticated);
  Fetch<void> login();
  void logout();
  FetchError status_error(const std::string& path, const Response& response) const;

  Config config_;
  void* curl_ = nullptr;  // CURL*, kept out of this header
  std::string sessions_path_ = "/redfish/v1/SessionService/Sessions";
  std::string token_;
  std::string session_path_;  // for the DELETE that ends the session
  int logins_ = 0;
  bool body_too_large_ = false;
};

}  // namespace jt::redfish
