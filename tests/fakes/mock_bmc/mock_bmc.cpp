// SPDX-License-Identifier: BSD-3-Clause
// A loopback Redfish service for tests: serves one named scenario on 127.0.0.1, over HTTP or
// HTTPS, with basic auth and sessions, and a node whose energy advances with real time at a known
// power, so that a test can check the energy a client measures.
//
//   mock_bmc --scenario NAME --port-file FILE [--tls-cert PEM --tls-key PEM] [--power-w W]
//            [--initial-energy-j J] [--username U] [--password P] [--delay-ms MS]
//            [--hang-ms MS]
//
// Scenarios (how a BMC looks):
//   ok             chassis "1" (houses system "1"): EnvironmentMetrics with EnergyJoules (its
//                  DataSourceUri names Sensors/NodeEnergy, Accuracy 2 %), EnergykWh and
//                  PowerWatts; a Sensors collection; a legacy Power resource
//   legacy-only    chassis "1" with only Power: PowerControl[0].PowerConsumedWatts
//   energy-sensor  chassis "1": EnvironmentMetrics with PowerWatts only; Sensors holds two
//                  temperatures and NodeEnergy (ReadingType EnergyJoules, Reading since its
//                  reset, LifetimeReading, Accuracy 1.5 %)
//   energy-kwh     chassis "1": EnvironmentMetrics with EnergykWh and PowerWatts
//   paged          as energy-sensor, but the Sensors collection comes one member per page
//                  (Members@odata.nextLink ".../Sensors?$skip=N", as DSP0266 pages a
//                  collection): NodeEnergy is on page 4
//   multi-chassis  "Shelf" (no computer system, EnergyJoules at 4 x power) listed before "Node1"
//                  (houses a system, legacy Power only)
//   no-meter       chassis "1" without any power or energy property
//   missing-chassis  an empty Chassis collection
//   malformed-json the Chassis collection is cut off mid-document
//   auth-failure   every authenticated request and every login answers 401
//   timeout        every request hangs for --hang-ms (default 5000) before answering
//   slow           every request is answered after --delay-ms (default 300)
//   mockup         the resources are files of a directory (--mockup DIR), as DMTF's mockups
//                  and Redfish-Mockup-Server lay them out: /redfish/v1/A/B is DIR/A/B/index.json.
//                  String values that are placeholders become the live node's figures:
//                  "$POWER_W" the power, "$ENERGY_J" the energy, "$ENERGY_KWH" the energy in kWh,
//                  "$ENERGY_KWH_WHOLE" / "$ENERGY_KWH_MILLI" rounded down to 1 / 0.001 kWh,
//                  "$POWER_W_LATE" null on the first request for that resource, then the power
//
// The service root (/redfish/v1/) needs no credentials, as in Redfish; everything else needs
// basic auth or a session token (POST /redfish/v1/SessionService/Sessions).
//
// Control endpoints for tests (no auth, outside /redfish):
//   POST /mock/mode        body: ok | timeout | malformed | unauthorized | forbidden | null |
//                          error500: how later /redfish requests are answered;
//                          foreign-location | no-location: later logins answer the session's
//                          Location with another host's absolute URL, or without a Location
//   POST /mock/expire-sessions   forgets every session token (a BMC reboot or session timeout)
//   GET  /mock/stats       {"logins", "logouts", "requests", "basic_requests",
//                           "token_requests", "power_w", "energy_j"}
//
// Energy: E(t) = initial + power * (t - start), t on CLOCK_MONOTONIC, computed per request.
// Exit: SIGTERM/SIGINT end the process; 2 on a usage error, 1 when it cannot listen.
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string scenario = "ok";
  std::string mockup;  // directory of the "mockup" scenario
  std::string port_file;
  std::string tls_cert;
  std::string tls_key;
  double power_w = 400.0;
  double initial_energy_j = 1.0e6;
  std::string username = "admin";
  std::string password = "secret";
  int delay_ms = 300;
  int hang_ms = 5000;
};

const std::set<std::string> kScenarios = {
    "ok",       "mockup",          "legacy-only",    "energy-sensor", "energy-kwh", "multi-chassis",
    "no-meter", "missing-chassis", "malformed-json", "auth-failure",  "timeout",    "slow",
    "paged"};

class Bmc {
 public:
  explicit Bmc(Options options) : options_(std::move(options)), start_(Clock::now()) {}

  double energy_j(double factor = 1.0) const {
    const double t = std::chrono::duration<double>(Clock::now() - start_).count();
    return factor * (options_.initial_energy_j + options_.power_w * t);
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    if (req.path.starts_with("/mock/")) {
      control(req, res);
      return;
    }
    ++requests_;
    std::string mode;
    {
      std::lock_guard lock(mutex_);
      mode = mode_;
    }
    if (options_.scenario == "timeout" || mode == "timeout") {
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.hang_ms));
    } else if (options_.scenario == "slow") {
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.delay_ms));
    }

    std::string path = req.path;
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (path == "/redfish/v1" && req.method == "GET") {
      send(res, 200, service_root());
      return;
    }
    if (path == "/redfish/v1/SessionService/Sessions" && req.method == "POST") {
      login(req, res, mode);
      return;
    }
    if (!authorised(req)) {
      send(res, 401, error_body("Base.1.8.NoValidSession", "There is no valid session."));
      return;
    }
    if (mode == "unauthorized") {
      send(res, 401, error_body("Base.1.8.NoValidSession", "There is no valid session."));
      return;
    }
    if (mode == "forbidden") {
      send(res, 403, error_body("Base.1.8.InsufficientPrivilege", "Insufficient privilege."));
      return;
    }
    if (mode == "error500") {
      send(res, 500, error_body("Base.1.8.InternalError", "The BMC is busy."));
      return;
    }
    if (req.method == "DELETE" && path.starts_with("/redfish/v1/SessionService/Sessions/")) {
      logout(req, res);
      return;
    }
    if (req.method != "GET") {
      send(res, 405, error_body("Base.1.8.OperationNotAllowed", "Not allowed."));
      return;
    }
    int skip = 0;
    if (req.has_param("$skip")) skip = std::atoi(req.get_param_value("$skip").c_str());
    auto body = resource(path, skip);
    if (!body) {
      send(res, 404, error_body("Base.1.8.ResourceMissingAtURI", "No such resource: " + path));
      return;
    }
    if (mode == "null") null_readings(*body);
    std::string text = body->dump();
    if (mode == "malformed" ||
        (options_.scenario == "malformed-json" && path == "/redfish/v1/Chassis")) {
      text.resize(text.size() / 2);
    }
    res.status = 200;
    res.set_content(text, "application/json");
  }

 private:
  static void send(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
  }

  static json error_body(const std::string& id, const std::string& message) {
    return {
        {"error",
         {{"code", id},
          {"message", message},
          {"@Message.ExtendedInfo", json::array({{{"MessageId", id}, {"Message", message}}})}}}};
  }

  static json link(const std::string& path) { return {{"@odata.id", path}}; }

  static void null_readings(json& body) {
    for (const char* key : {"EnergyJoules", "EnergykWh", "PowerWatts"}) {
      if (body.contains(key)) body[key]["Reading"] = nullptr;
    }
    if (body.contains("Reading")) body["Reading"] = nullptr;
    if (body.contains("LifetimeReading")) body["LifetimeReading"] = nullptr;
    if (body.contains("PowerControl")) {
      for (auto& control : body["PowerControl"]) control["PowerConsumedWatts"] = nullptr;
    }
  }

  static std::string base64(const std::string& in) {
    static const char* kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
      const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                         (static_cast<unsigned char>(in[i + 1]) << 8) |
                         static_cast<unsigned char>(in[i + 2]);
      for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
    }
    if (i < in.size()) {
      unsigned v = static_cast<unsigned char>(in[i]) << 16;
      if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
      out.push_back(kAlphabet[(v >> 18) & 63]);
      out.push_back(kAlphabet[(v >> 12) & 63]);
      out.push_back(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
      out.push_back('=');
    }
    return out;
  }

  bool authorised(const httplib::Request& req) {
    if (options_.scenario == "auth-failure") return false;
    if (req.has_header("X-Auth-Token")) {
      std::lock_guard lock(mutex_);
      if (tokens_.count(req.get_header_value("X-Auth-Token")) == 0) return false;
      ++token_requests_;
      return true;
    }
    if (req.has_header("Authorization")) {
      const std::string expected = "Basic " + base64(options_.username + ":" + options_.password);
      if (req.get_header_value("Authorization") != expected) return false;
      ++basic_requests_;
      return true;
    }
    return false;
  }

  void login(const httplib::Request& req, httplib::Response& res, const std::string& mode) {
    json body = json::parse(req.body, nullptr, false);
    const bool good = !body.is_discarded() && body.is_object() &&
                      body.value("UserName", "") == options_.username &&
                      body.value("Password", "") == options_.password;
    if (!good || options_.scenario == "auth-failure" || mode == "unauthorized") {
      send(res, 401, error_body("Base.1.8.ResourceAtUriUnauthorized", "Login failed."));
      return;
    }
    std::string token;
    std::string id;
    {
      std::lock_guard lock(mutex_);
      ++logins_;
      id = std::to_string(logins_);
      token = "token-" + id + "-" + std::to_string(Clock::now().time_since_epoch().count());
      tokens_[token] = id;
    }
    const std::string location = "/redfish/v1/SessionService/Sessions/" + id;
    res.set_header("X-Auth-Token", token);
    if (mode == "foreign-location") {
      res.set_header("Location", "https://bmc-internal.invalid:8443" + location);
    } else if (mode != "no-location") {
      res.set_header("Location", location);
    }
    send(res, 201, {{"@odata.id", location}, {"Id", id}, {"UserName", options_.username}});
  }

  void logout(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex_);
    const std::string id = req.path.substr(req.path.rfind('/') + 1);
    for (auto it = tokens_.begin(); it != tokens_.end(); ++it) {
      if (it->second == id) {
        tokens_.erase(it);
        ++logouts_;
        res.status = 204;
        return;
      }
    }
    send(res, 404, error_body("Base.1.8.ResourceMissingAtURI", "No such session."));
  }

  void control(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex_);
    if (req.path == "/mock/mode" && req.method == "POST") {
      mode_ = req.body;
      send(res, 200, {{"mode", mode_}});
    } else if (req.path == "/mock/expire-sessions" && req.method == "POST") {
      tokens_.clear();
      send(res, 200, {{"expired", true}});
    } else if (req.path == "/mock/stats") {
      send(res, 200,
           {{"logins", logins_},
            {"logouts", logouts_},
            {"requests", requests_.load()},
            {"basic_requests", basic_requests_.load()},
            {"token_requests", token_requests_.load()},
            {"power_w", options_.power_w},
            {"energy_j", energy_j()}});
    } else {
      send(res, 404, {{"error", "unknown control endpoint"}});
    }
  }

  json service_root() const {
    return {{"@odata.id", "/redfish/v1"},
            {"@odata.type", "#ServiceRoot.v1_15_0.ServiceRoot"},
            {"Id", "RootService"},
            {"RedfishVersion", "1.17.0"},
            {"Chassis", link("/redfish/v1/Chassis")},
            {"SessionService", link("/redfish/v1/SessionService")},
            {"Links", {{"Sessions", link("/redfish/v1/SessionService/Sessions")}}}};
  }

  json chassis(const std::string& id, bool houses_system) const {
    const std::string base = "/redfish/v1/Chassis/" + id;
    json body = {{"@odata.id", base},
                 {"@odata.type", "#Chassis.v1_21_0.Chassis"},
                 {"Id", id},
                 {"Name", id == "Shelf" ? "Blade Shelf" : "Computer System Chassis"},
                 {"ChassisType", houses_system ? "RackMount" : "Enclosure"},
                 {"Links", json::object()}};
    if (houses_system) {
      body["Links"]["ComputerSystems"] = json::array({link("/redfish/v1/Systems/1")});
    }
    const std::string& s = options_.scenario;
    const bool environment = s == "ok" || s == "energy-sensor" || s == "paged" ||
                             s == "energy-kwh" || s == "slow" || s == "timeout" ||
                             s == "auth-failure" || (s == "multi-chassis" && id == "Shelf");
    if (environment) body["EnvironmentMetrics"] = link(base + "/EnvironmentMetrics");
    if (s == "ok" || s == "energy-sensor" || s == "slow" || s == "paged") {
      body["Sensors"] = link(base + "/Sensors");
    }
    if (s == "ok" || s == "legacy-only" || s == "slow" || (s == "multi-chassis" && id == "Node1")) {
      body["Power"] = link(base + "/Power");
    }
    return body;
  }

  json environment_metrics(const std::string& id) const {
    const std::string base = "/redfish/v1/Chassis/" + id;
    const std::string& s = options_.scenario;
    const double factor = id == "Shelf" ? 4.0 : 1.0;
    json body = {{"@odata.id", base + "/EnvironmentMetrics"},
                 {"@odata.type", "#EnvironmentMetrics.v1_3_0.EnvironmentMetrics"},
                 {"Id", "EnvironmentMetrics"},
                 {"PowerWatts", {{"Reading", options_.power_w * factor}}}};
    if (s == "ok" || s == "slow" || s == "multi-chassis") {
      body["EnergyJoules"] = {{"Reading", energy_j(factor)}};
      if (s != "multi-chassis") {
        body["EnergyJoules"]["DataSourceUri"] = base + "/Sensors/NodeEnergy";
      }
    }
    if (s == "ok" || s == "slow" || s == "energy-kwh") {
      body["EnergykWh"] = {{"Reading", energy_j() / 3.6e6},
                           {"SensorResetTime", "2024-01-01T00:00:00Z"}};
    }
    return body;
  }

  json sensor(const std::string& chassis_id, const std::string& id) const {
    const std::string path = "/redfish/v1/Chassis/" + chassis_id + "/Sensors/" + id;
    json body = {{"@odata.id", path},
                 {"@odata.type", "#Sensor.v1_7_0.Sensor"},
                 {"Id", id},
                 {"Name", id},
                 {"Status", {{"State", "Enabled"}, {"Health", "OK"}}}};
    if (id == "Gpu0Energy") {
      body["ReadingType"] = "EnergyJoules";
      body["ReadingUnits"] = "J";
      body["PhysicalContext"] = "GPU";
      body["Reading"] = energy_j() / 4;
    } else if (id == "NodeEnergy") {
      body["ReadingType"] = "EnergyJoules";
      body["ReadingUnits"] = "J";
      body["PhysicalContext"] = "Chassis";
      if (options_.scenario == "energy-sensor") {
        // Reset a while ago: Reading counts from then, LifetimeReading from the start.
        body["Reading"] = energy_j() - options_.initial_energy_j / 2;
        body["LifetimeReading"] = energy_j();
        body["SensorResetTime"] = "2024-06-01T12:00:00Z";
        body["Accuracy"] = 1.5;
      } else {
        body["Reading"] = energy_j();
        body["Accuracy"] = 2.0;
      }
    } else {
      body["ReadingType"] = "Temperature";
      body["ReadingUnits"] = "Cel";
      body["Reading"] = 41.5;
    }
    return body;
  }

  // A placeholder string of a mockup file, replaced by the live node's figure.
  json live_value(const std::string& text, const std::string& path) {
    if (text == "$POWER_W") return options_.power_w;
    if (text == "$ENERGY_J") return energy_j();
    if (text == "$ENERGY_KWH") return energy_j() / 3.6e6;
    if (text == "$ENERGY_KWH_WHOLE") return std::floor(energy_j() / 3.6e6);
    if (text == "$ENERGY_KWH_MILLI") return std::floor(energy_j() / 3.6e3) / 1000.0;
    if (text == "$POWER_W_LATE") {
      std::lock_guard lock(mutex_);
      return late_seen_.insert(path).second ? json(nullptr) : json(options_.power_w);
    }
    return text;
  }

  void fill_live_values(json& node, const std::string& path) {
    if (node.is_string()) {
      node = live_value(node.get<std::string>(), path);
    } else if (node.is_structured()) {
      for (auto& child : node) fill_live_values(child, path);
    }
  }

  std::optional<json> mockup_resource(const std::string& path) {
    const std::string root = "/redfish/v1";
    if (!path.starts_with(root) || path.find("..") != std::string::npos) return std::nullopt;
    const std::filesystem::path file = std::filesystem::path(options_.mockup) /
                                       path.substr(std::min(path.size(), root.size() + 1)) /
                                       "index.json";
    std::ifstream in(file);
    if (!in) return std::nullopt;
    json body = json::parse(in, nullptr, false);
    if (body.is_discarded()) return std::nullopt;
    fill_live_values(body, path);
    return body;
  }

  std::optional<json> resource(const std::string& path, int skip) {
    const std::string& s = options_.scenario;
    if (s == "mockup") return mockup_resource(path);
    if (path == "/redfish/v1/Chassis") {
      json members = json::array();
      if (s == "multi-chassis") {
        members = json::array({link(path + "/Shelf"), link(path + "/Node1")});
      } else if (s != "missing-chassis") {
        members = json::array({link(path + "/1")});
      }
      return json{{"@odata.id", path},
                  {"Name", "Chassis Collection"},
                  {"Members@odata.count", members.size()},
                  {"Members", members}};
    }
    const std::string prefix = "/redfish/v1/Chassis/";
    if (!path.starts_with(prefix)) return std::nullopt;
    const std::string rest = path.substr(prefix.size());
    const std::string id = rest.substr(0, rest.find('/'));
    const std::string sub = rest.size() > id.size() ? rest.substr(id.size() + 1) : "";
    const bool known = s == "multi-chassis" ? (id == "Shelf" || id == "Node1")
                                            : (id == "1" && s != "missing-chassis");
    if (!known) return std::nullopt;
    const json body = chassis(id, id != "Shelf");
    if (sub.empty()) return body;
    if (sub == "EnvironmentMetrics" && body.contains("EnvironmentMetrics")) {
      return environment_metrics(id);
    }
    if (sub == "Power" && body.contains("Power")) {
      return json{
          {"@odata.id", path},
          {"@odata.type", "#Power.v1_7_1.Power"},
          {"PowerControl",
           json::array({{{"@odata.id", path + "#/PowerControl/0"},
                         {"MemberId", "0"},
                         {"Name", "System Power Control"},
                         {"PowerConsumedWatts", options_.power_w},
                         {"PowerCapacityWatts", 1600},
                         {"PowerMetrics",
                          {{"IntervalInMin", 20}, {"AverageConsumedWatts", options_.power_w}}}}})}};
    }
    if (body.contains("Sensors")) {
      // Gpu0Energy comes first: a device-level energy sensor the client must not take for the
      // node's.
      const std::vector<std::string> ids = {"InletTemp", "CpuTemp", "Gpu0Energy", "NodeEnergy"};
      if (sub == "Sensors" && s == "paged") {
        if (skip < 0 || skip >= static_cast<int>(ids.size())) return std::nullopt;
        json page = {
            {"@odata.id", path},
            {"Members@odata.count", ids.size()},
            {"Members", json::array({link(path + "/" + ids[static_cast<std::size_t>(skip)])})}};
        if (skip + 1 < static_cast<int>(ids.size())) {
          page["Members@odata.nextLink"] = path + "?$skip=" + std::to_string(skip + 1);
        }
        return page;
      }
      if (sub == "Sensors") {
        json members = json::array();
        for (const auto& sid : ids) members.push_back(link(path + "/" + sid));
        return json{{"@odata.id", path}, {"Members", members}};
      }
      for (const auto& sid : ids) {
        if (sub == "Sensors/" + sid) return sensor(id, sid);
      }
    }
    return std::nullopt;
  }

  Options options_;
  Clock::time_point start_;
  std::mutex mutex_;
  std::string mode_ = "ok";
  std::map<std::string, std::string> tokens_;  // token -> session id
  std::set<std::string> late_seen_;            // resources whose "$POWER_W_LATE" was null once
  int logins_ = 0;
  int logouts_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<int> basic_requests_{0};
  std::atomic<int> token_requests_{0};
};

int usage(const std::string& problem) {
  std::cerr << "mock_bmc: " << problem << "\n"
            << "usage: mock_bmc --scenario NAME --port-file FILE [--tls-cert PEM --tls-key PEM]\n"
            << "                [--power-w W] [--initial-energy-j J] [--username U]\n"
            << "                [--password P] [--delay-ms MS] [--hang-ms MS]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return usage("missing value after " + arg);
    const std::string value = argv[++i];
    try {
      if (arg == "--scenario")
        options.scenario = value;
      else if (arg == "--port-file")
        options.port_file = value;
      else if (arg == "--tls-cert")
        options.tls_cert = value;
      else if (arg == "--tls-key")
        options.tls_key = value;
      else if (arg == "--power-w")
        options.power_w = std::stod(value);
      else if (arg == "--initial-energy-j")
        options.initial_energy_j = std::stod(value);
      else if (arg == "--username")
        options.username = value;
      else if (arg == "--password")
        options.password = value;
      else if (arg == "--mockup")
        options.mockup = value;
      else if (arg == "--delay-ms")
        options.delay_ms = std::stoi(value);
      else if (arg == "--hang-ms")
        options.hang_ms = std::stoi(value);
      else
        return usage("unknown option " + arg);
    } catch (const std::exception&) {
      return usage("bad number for " + arg + ": " + value);
    }
  }
  if (kScenarios.count(options.scenario) == 0) return usage("unknown scenario " + options.scenario);
  if (options.port_file.empty()) return usage("--port-file is required");
  if ((options.scenario == "mockup") == options.mockup.empty()) {
    return usage("--mockup DIR goes with --scenario mockup, and only with it");
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return usage("--tls-cert and --tls-key go together");
  }

  std::unique_ptr<httplib::Server> server;
  if (!options.tls_cert.empty()) {
    server =
        std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
  } else {
    server = std::make_unique<httplib::Server>();
  }
  if (!server->is_valid()) {
    std::cerr << "mock_bmc: cannot set up the server (TLS certificate or key unusable?)\n";
    return 1;
  }
  Bmc bmc(options);
  const auto handler = [&bmc](const httplib::Request& req, httplib::Response& res) {
    bmc.handle(req, res);
  };
  server->Get(R"(/.*)", handler);
  server->Post(R"(/.*)", handler);
  server->Delete(R"(/.*)", handler);

  // Keep connections open as a BMC does, so that clients reuse theirs.
  server->set_keep_alive_max_count(100000);
  const int port = server->bind_to_any_port("127.0.0.1");
  if (port <= 0) {
    std::cerr << "mock_bmc: cannot bind to 127.0.0.1\n";
    return 1;
  }
  // Written whole and renamed into place, so a test never reads half a number.
  const std::string tmp = options.port_file + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << "\n";
    if (!out) {
      std::cerr << "mock_bmc: cannot write " << tmp << "\n";
      return 1;
    }
  }
  std::filesystem::rename(tmp, options.port_file);
  return server->listen_after_bind() ? 0 : 1;
}
