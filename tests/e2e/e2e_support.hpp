#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace jt::test {

// The options every e2e run passes so that nothing of the host machine leaks in.
inline std::vector<std::string> jouletrace_args(const TempTree& tree, const std::string& verb,
                                                const std::string& nvml = "/nonexistent/nvml.so") {
  return {jouletrace_binary(),  verb,         "--sysfs-root",
          tree.path().string(), "--dev-root", (tree / "dev").string(),
          "--nvml-library",     nvml};
}

inline nlohmann::json read_json(const std::filesystem::path& path) {
  return nlohmann::json::parse(read_file(path));
}

inline const nlohmann::json* component(const nlohmann::json& report, const std::string& id) {
  for (const auto& c : report["components"]) {
    if (c["id"] == id) return &c;
  }
  return nullptr;
}

}  // namespace jt::test
