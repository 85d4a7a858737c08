// SPDX-License-Identifier: BSD-3-Clause
// agent_load: query latency of a running node agent under concurrent clients (issue 12: p99 of
// an interval query at most 1 ms with 64 clients). Each client is a thread with its own
// connection that sends one `energy` request, waits for the answer line, and sends the next:
// the time from send to the answer's newline is one latency. The interval is placed inside the
// agent's history as `hello` reports it, so the answer never waits for the sampler.
//
//   agent_load --socket PATH [--clients 64] [--requests 200] [--span-s 10] [--end-before-s 2]
//              [--rate R]
//
// Without --rate every client sends its next request as soon as the last is answered: the agent
// is saturated and a latency is mostly the queue of the other 63 clients' requests. With --rate
// each client sends R requests per second (its start staggered), which is the server's latency at
// a load it can carry.
//
// The agent rate-limits per user (root too) and caps connections per user: run it with a config
// that raises both (scripts/bench_agent.sh does), or the figures measure the limiter.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

struct Options {
  std::string socket;
  int clients = 64;
  int requests = 200;
  double span_s = 10.0;
  double end_before_s = 2.0;
  double rate = 0.0;  // requests per second per client; 0: back to back
};

struct ClientResult {
  std::vector<double> latency_us;
  int failures = 0;
  std::string first_failure;
  // When this client sent its first request and had its last answer: the wall time of the load
  // is taken from the clients, never from the main thread, which may wake after they are done.
  std::chrono::steady_clock::time_point first_sent;
  std::chrono::steady_clock::time_point last_answered;
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: agent_load --socket PATH [--clients N] [--requests M] [--span-s S]"
               " [--end-before-s E] [--rate R]\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) usage();
    const char* value = argv[++i];
    if (arg == "--socket") {
      o.socket = value;
    } else if (arg == "--clients") {
      o.clients = std::atoi(value);
    } else if (arg == "--requests") {
      o.requests = std::atoi(value);
    } else if (arg == "--span-s") {
      o.span_s = std::atof(value);
    } else if (arg == "--rate") {
      o.rate = std::atof(value);
    } else if (arg == "--end-before-s") {
      o.end_before_s = std::atof(value);
    } else {
      usage();
    }
  }
  if (o.socket.empty() || o.clients < 1 || o.requests < 1 || o.span_s <= 0) usage();
  return o;
}

int connect_to(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror(("connect " + path).c_str());
    std::exit(1);
  }
  return fd;
}

// Sends one request line and returns the answer line; empty when the agent hung up.
class Connection {
 public:
  explicit Connection(const std::string& path) : fd_(connect_to(path)) {}
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  std::optional<std::string> ask(const std::string& line) {
    for (std::size_t sent = 0; sent < line.size();) {
      const ssize_t n = ::send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return std::nullopt;
      sent += static_cast<std::size_t>(n);
    }
    for (;;) {
      if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string answer = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return answer;
      }
      char chunk[65536];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

struct Interval {
  std::int64_t from_ns = 0;
  std::int64_t to_ns = 0;
};

// The interval to query: `span` seconds ending `end_before` seconds before the history's end,
// clipped to its start.
Interval pick_interval(const Options& o) {
  Connection c(o.socket);
  const auto answer = c.ask(R"({"v":1,"op":"hello"})"
                            "\n");
  const auto hello = nlohmann::json::parse(answer.value_or(""), nullptr, false);
  if (hello.is_discarded() || !hello.value("ok", false) || !hello["history"].is_object()) {
    std::fprintf(stderr, "agent_load: no history in the agent's hello: %s\n",
                 answer.value_or("(no answer)").c_str());
    std::exit(1);
  }
  const auto from = hello["history"]["from_ns"].get<std::int64_t>();
  const auto to = hello["history"]["to_ns"].get<std::int64_t>();
  Interval i;
  i.to_ns = to - static_cast<std::int64_t>(o.end_before_s * 1e9);
  i.from_ns = std::max(from, i.to_ns - static_cast<std::int64_t>(o.span_s * 1e9));
  if (i.to_ns <= i.from_ns) {
    std::fprintf(stderr, "agent_load: the history (%.1f s) is too short\n",
                 static_cast<double>(to - from) / 1e9);
    std::exit(1);
  }
  return i;
}

void run_client(const Options& o, const Interval& interval, std::barrier<>& start, int index,
                ClientResult& result) {
  Connection c(o.socket);
  const std::string request = R"({"v":1,"op":"energy","from_ns":)" +
                              std::to_string(interval.from_ns) + R"(,"to_ns":)" +
                              std::to_string(interval.to_ns) + "}\n";
  result.latency_us.reserve(static_cast<std::size_t>(o.requests));
  // All connections are open before the first request: the load is 64 clients at once.
  start.arrive_and_wait();
  using Clock = std::chrono::steady_clock;
  const std::chrono::duration<double> period(o.rate > 0 ? 1.0 / o.rate : 0.0);
  auto next = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                 period * (static_cast<double>(index) / o.clients));
  for (int r = 0; r < o.requests; ++r) {
    if (o.rate > 0) {
      std::this_thread::sleep_until(next);
      next += std::chrono::duration_cast<Clock::duration>(period);
    }
    const auto t0 = std::chrono::steady_clock::now();
    const auto answer = c.ask(request);
    const auto t1 = std::chrono::steady_clock::now();
    if (r == 0) result.first_sent = t0;
    result.last_answered = t1;
    result.latency_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    if (!answer || answer->find(R"("ok":true)") == std::string::npos) {
      if (result.failures++ == 0) result.first_failure = answer.value_or("(connection closed)");
      if (!answer) return;
    }
  }
}

double percentile(const std::vector<double>& sorted, double p) {
  const auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1));
  return sorted[rank];
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const Interval interval = pick_interval(o);
  std::vector<ClientResult> results(static_cast<std::size_t>(o.clients));
  std::barrier<> start(o.clients + 1);
  std::vector<std::jthread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&o, &interval, &start, &results, i] {
      run_client(o, interval, start, static_cast<int>(i), results[i]);
    });
  }
  start.arrive_and_wait();
  threads.clear();  // joins
  auto first = results.front().first_sent;
  auto last = results.front().last_answered;
  for (const auto& r : results) {
    first = std::min(first, r.first_sent);
    last = std::max(last, r.last_answered);
  }
  const double wall_s = std::chrono::duration<double>(last - first).count();
  std::vector<double> all;
  int failures = 0;
  for (const auto& r : results) {
    all.insert(all.end(), r.latency_us.begin(), r.latency_us.end());
    failures += r.failures;
    if (r.failures > 0 && failures == r.failures) {
      std::fprintf(stderr, "agent_load: first failed answer: %.300s\n", r.first_failure.c_str());
    }
  }
  std::ranges::sort(all);
  if (all.empty()) return 1;
  std::printf(
      "interval %.1f s, %d clients x %d requests: p50 %.0f us, p90 %.0f us, p99 %.0f us, "
      "max %.0f us, %.0f requests/s, %d failed\n",
      static_cast<double>(interval.to_ns - interval.from_ns) / 1e9, o.clients, o.requests,
      percentile(all, 50), percentile(all, 90), percentile(all, 99), all.back(),
      static_cast<double>(all.size()) / wall_s, failures);
  return failures == 0 ? 0 : 1;
}
