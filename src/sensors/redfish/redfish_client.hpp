// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "sensors/redfish/redfish_config.hpp"

namespace jt::redfish {

// A failed request is an Error whose kind says why, so that the probe can say what to check:
//   kUnreachable       DNS, connection refused, no route
//   kTimeout           no complete answer within timeout_s
//   kTls               handshake or certificate verification
//   kPermissionDenied  HTTP 401 or 403 (after one fresh login with session auth)
//   kIo                any other status than 2xx
//   kInvalidData       an answer that breaks the protocol: oversized body, session without token
//   kUnsupported       libcurl itself cannot be used
// http_status is set whenever the BMC answered with an error status. The message says which URL
// and what happened; it never holds the password.
// One libcurl easy handle to one BMC, reused for every request so that the TLS connection
// stays open between polls. Handles basic auth or a Redfish session (X-Auth-Token), logging in
// again once when the BMC forgets the session. Not thread-safe; one per sensor.
class Client {
 public:
  static Result<std::unique_ptr<Client>> create(const Config& config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // GET of a service path such as "/redfish/v1/Chassis", authenticated; returns the body of a
  // 2xx answer.
  Result<std::string> get(const std::string& path);
  // The service root, which Redfish serves without authentication: checks reachability and TLS
  // before credentials are sent, and names the Chassis and Sessions collections.
  Result<std::string> get_service_root();
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
  Result<Response> perform(Method method, const std::string& path, const std::string& body,
                           bool authenticated);
  Result<void> login();
  void logout();
  Error status_error(const std::string& path, const Response& response) const;

  Config config_;
  void* curl_ = nullptr;  // CURL*, kept out of this header
  std::string sessions_path_ = "/redfish/v1/SessionService/Sessions";
  std::string token_;
  std::string session_path_;  // for the DELETE that ends the session
  int logins_ = 0;
  bool body_too_large_ = false;
};

}  // namespace jt::redfish
