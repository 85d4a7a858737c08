// SPDX-License-Identifier: BSD-3-Clause
#pragma once

// Test-side handle on a running mock_bmc (mock_bmc.cpp): starts it on an ephemeral port, talks
// to its control endpoints, and writes Redfish config files for it.
#include <curl/curl.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace jt::test {

inline std::string mock_bmc_binary() { return JT_MOCK_BMC; }

class MockBmc {
 public:
  // Starts `mock_bmc --scenario scenario` with its files under `dir`; extra options appended.
  MockBmc(const std::filesystem::path& dir, const std::string& scenario,
          std::vector<std::string> extra = {}, bool tls = false)
      : tls_(tls) {
    const auto port_file = dir / ("mock_bmc." + scenario + ".port");
    std::filesystem::remove(port_file);
    std::vector<std::string> argv = {mock_bmc_binary(), "--scenario", scenario, "--port-file",
                                     port_file.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    log_ = dir / ("mock_bmc." + scenario + ".err");
    process_ = std::make_unique<BackgroundProcess>(argv, std::filesystem::path{}, log_);
    if (!wait_for_file(port_file, 10.0)) {
      throw std::runtime_error("mock_bmc did not start: " + read_file(log_));
    }
    port_ = std::stoi(read_file(port_file));
  }

  int port() const { return port_; }
  std::string url() const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
  }

  // A request to a control endpoint (plain, no TLS verification: it is our own test server).
  std::string control(const std::string& method, const std::string& path,
                      const std::string& body = {}) const {
    CURL* curl = curl_easy_init();
    std::string out;
    const std::string target = url() + path;
    curl_easy_setopt(curl, CURLOPT_URL, target.c_str());
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (method == "POST") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    }
    curl_easy_setopt(
        curl, CURLOPT_WRITEFUNCTION, +[](char* data, std::size_t size, std::size_t n, void* user) {
          static_cast<std::string*>(user)->append(data, size * n);
          return size * n;
        });
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
    const CURLcode code = curl_easy_perform(curl);
    curl_easy_cleanup(curl);
    if (code != CURLE_OK) {
      throw std::runtime_error("mock_bmc control " + path + ": " + curl_easy_strerror(code));
    }
    return out;
  }
  void set_mode(const std::string& mode) const { control("POST", "/mock/mode", mode); }
  void expire_sessions() const { control("POST", "/mock/expire-sessions"); }
  nlohmann::json stats() const { return nlohmann::json::parse(control("GET", "/mock/stats")); }
  std::string log() const { return read_file(log_); }

 private:
  bool tls_;
  int port_ = 0;
  std::filesystem::path log_;
  std::unique_ptr<BackgroundProcess> process_;
};

// A config file for `bmc` (admin/secret unless `fields` says otherwise), mode 0600, with a
// 1-s client timeout so that failure tests stay fast.
inline std::filesystem::path write_redfish_config(const std::filesystem::path& path,
                                                  const nlohmann::json& fields) {
  nlohmann::json config = {
      {"username", "admin"}, {"password", "secret"}, {"timeout_s", 1.0}, {"interval_s", 0.2}};
  for (const auto& [key, value] : fields.items()) {
    if (value.is_null()) {
      config.erase(key);
    } else {
      config[key] = value;
    }
  }
  write_file(path, config.dump(2));
  ::chmod(path.c_str(), 0600);
  return path;
}

}  // namespace jt::test
