// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "support/test_support.hpp"

namespace jt::test {

struct HttpAnswer {
  long status = 0;  // 0 when no answer came
  std::string body;
  std::string error;  // curl's words when no answer came
};

inline std::size_t append_http_body(char* data, std::size_t size, std::size_t count, void* body) {
  static_cast<std::string*>(body)->append(data, size * count);
  return size * count;
}

inline HttpAnswer http_get(const std::string& url, long timeout_ms = 2000) {
  HttpAnswer answer;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return {0, {}, "curl_easy_init failed"};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  // A proxy from the developer's environment must not stand between the test and 127.0.0.1.
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_http_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  const CURLcode code = curl_easy_perform(curl);
  if (code == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  } else {
    answer.error = curl_easy_strerror(code);
  }
  curl_easy_cleanup(curl);
  return answer;
}

// A connection to a UNIX socket (the agent's), answers awaited at most `timeout_s`; -1 when
// nothing listens there.
inline int connect_unix(const std::filesystem::path& path, long timeout_s) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{timeout_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// A TCP port on 127.0.0.1 that was free a moment ago (another program may still take it first).
inline int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  socklen_t length = sizeof address;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

// A real Prometheus server (Debian's) on loopback that scrapes one target every second, with
// its storage in a temporary directory; stopped (SIGTERM, then SIGKILL) before that is removed.
class RealPrometheus {
 public:
  RealPrometheus(const std::string& binary, int target_port) {
    write_file(dir_ / "prometheus.yml",
               "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
               "scrape_configs:\n  - job_name: jouletrace\n    static_configs:\n"
               "      - targets: ['127.0.0.1:" +
                   std::to_string(target_port) + "']\n");
    port_ = free_loopback_port();
    server_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{binary, "--config.file=" + (dir_ / "prometheus.yml").string(),
                                 "--storage.tsdb.path=" + (dir_ / "tsdb").string(),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                 "--log.level=warn"},
        dir_ / "prometheus.out", dir_ / "prometheus.err");
  }
  // The server's answer to an instant query (PromQL, already URL-encoded).
  HttpAnswer query(const std::string& encoded) const {
    return http_get("http://127.0.0.1:" + std::to_string(port_) + "/api/v1/query?query=" + encoded);
  }
  // -1 while it runs, else its exit code.
  int exited() const { return server_->wait(0.0); }
  std::string log() const { return read_file(dir_ / "prometheus.err"); }

 private:
  TempTree dir_;
  int port_ = -1;
  std::unique_ptr<BackgroundProcess> server_;
};

// How much the one series in a range-query answer (`metric[30s]`) rose between its first and
// last samples, and over how long by Prometheus's clock.
struct Rise {
  double value = 0.0;
  double span_s = 0.0;
};
inline std::optional<Rise> series_rise(const std::string& api_answer) {
  const auto answer = nlohmann::json::parse(api_answer, nullptr, false);
  if (answer.is_discarded() || answer.value("status", "") != "success") return std::nullopt;
  const auto& series = answer["data"]["result"];
  if (!series.is_array() || series.size() != 1) return std::nullopt;
  const auto& values = series[0]["values"];
  if (values.size() < 2) return std::nullopt;
  return Rise{std::stod(values.back()[1].get<std::string>()) -
                  std::stod(values.front()[1].get<std::string>()),
              values.back()[0].get<double>() - values.front()[0].get<double>()};
}

// The rise per second of that series, once its samples span at least `min_span_s`.
inline std::optional<double> rise_per_s(const std::string& api_answer, double min_span_s) {
  const auto rise = series_rise(api_answer);
  if (!rise || rise->span_s < min_span_s) return std::nullopt;
  return rise->value / rise->span_s;
}

}  // namespace jt::test
