// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/node_inventory.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <sstream>
#include <tuple>

#include "core/sysfs_file.hpp"
#include "core/text.hpp"
#include "sensors/cpu_topology.hpp"

namespace jt {

namespace fs = std::filesystem;

namespace {

// read_text_file stops after 1 MiB; every field read here is near the top of its file, even
// the cpuinfo of a machine with hundreds of CPUs.
Result<std::string> read_proc_file(const fs::path& path) { return read_text_file(path); }

std::optional<std::uint64_t> parse_field_u64(std::string_view text) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::vector<std::string_view> split_whitespace(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos < line.size()) {
    const auto start = line.find_first_not_of(" \t", pos);
    if (start == std::string_view::npos) break;
    auto end = line.find_first_of(" \t", start);
    if (end == std::string_view::npos) end = line.size();
    fields.push_back(line.substr(start, end - start));
    pos = end;
  }
  return fields;
}

// A part of another GPU channel (an Intel GPU's tile inside its device): the device is the GPU,
// counted once (docs/backends/intel.md). A GPU inside a module (Grace Hopper) stays a GPU.
bool is_part_of_another(const ChannelInfo& part, const std::vector<ChannelInfo>& channels) {
  return std::ranges::any_of(channels, [&](const ChannelInfo& whole) {
    return whole.domain == Domain::kGpu &&
           std::ranges::find(whole.contains, part.id) != whole.contains.end();
  });
}

}  // namespace

Result<std::vector<std::string>> parse_cpu_models(std::string_view cpuinfo) {
  std::vector<std::string> models;
  std::size_t pos = 0;
  while (pos <= cpuinfo.size()) {
    auto end = cpuinfo.find('\n', pos);
    if (end == std::string_view::npos) end = cpuinfo.size();
    const std::string_view line = cpuinfo.substr(pos, end - pos);
    pos = end + 1;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (trim(line.substr(0, colon)) != "model name") continue;
    const std::string_view name = trim(line.substr(colon + 1));
    if (name.empty()) continue;
    if (std::find(models.begin(), models.end(), name) == models.end()) {
      models.emplace_back(name);
    }
  }
  if (models.empty()) {
    // Some architectures (arm64) have no "model name" line at all.
    return make_error(ErrorKind::kInvalidData, "no 'model name' line in cpuinfo");
  }
  return models;
}

Result<std::uint64_t> parse_mem_total_bytes(std::string_view meminfo) {
  std::istringstream in{std::string(meminfo)};
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemTotal:", 0) != 0) continue;
    const auto fields = split_whitespace(std::string_view(line).substr(9));
    if (fields.size() != 2 || fields[1] != "kB") {
      return make_error(ErrorKind::kInvalidData, "malformed MemTotal line: '" + line + "'");
    }
    const auto kib = parse_field_u64(fields[0]);
    if (!kib || *kib == 0 || *kib > (UINT64_MAX / 1024)) {
      return make_error(ErrorKind::kInvalidData, "malformed MemTotal value: '" + line + "'");
    }
    return *kib * 1024;
  }
  return make_error(ErrorKind::kInvalidData, "no MemTotal line in meminfo");
}

Result<CpuTimes> parse_cpu_times(std::string_view stat) {
  const auto end = stat.find('\n');
  const std::string_view line = stat.substr(0, end);
  const auto fields = split_whitespace(line);
  // cpu user nice system idle iowait irq softirq [steal guest guest_nice] (proc(5)); guest
  // time is already counted in user, so it is not added again.
  if (fields.size() < 8 || fields[0] != "cpu") {
    return make_error(
        ErrorKind::kInvalidData,
        "first line of stat is not an aggregate 'cpu' line: '" + std::string(line) + "'");
  }
  std::vector<std::uint64_t> v;
  for (std::size_t i = 1; i < fields.size() && i <= 8; ++i) {
    const auto n = parse_field_u64(fields[i]);
    if (!n) {
      return make_error(ErrorKind::kInvalidData,
                        "unparsable field in stat cpu line: '" + std::string(fields[i]) + "'");
    }
    v.push_back(*n);
  }
  CpuTimes times;
  times.idle = v[3] + v[4];
  times.busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v.size() > 7 ? v[7] : 0);
  return times;
}

Result<CpuTimes> read_cpu_times(const fs::path& proc_root) {
  auto text = read_proc_file(proc_root / "stat");
  if (!text) return std::unexpected(text.error());
  auto times = parse_cpu_times(*text);
  if (!times) {
    return make_error(times.error().kind,
                      (proc_root / "stat").string() + ": " + times.error().message);
  }
  return times;
}

std::optional<double> busy_fraction(const CpuTimes& before, const CpuTimes& after) {
  if (after.busy < before.busy || after.idle < before.idle) return std::nullopt;
  const std::uint64_t busy = after.busy - before.busy;
  const std::uint64_t total = busy + (after.idle - before.idle);
  if (total == 0) return std::nullopt;
  return static_cast<double>(busy) / static_cast<double>(total);
}

Result<double> parse_load_average(std::string_view loadavg) {
  const auto fields = split_whitespace(trim(loadavg));
  if (fields.empty()) return make_error(ErrorKind::kInvalidData, "empty loadavg");
  double value = 0.0;
  const auto* end = fields[0].data() + fields[0].size();
  auto [ptr, ec] = std::from_chars(fields[0].data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value) || value < 0.0) {
    return make_error(ErrorKind::kInvalidData,
                      "unparsable load average: '" + std::string(fields[0]) + "'");
  }
  return value;
}

Result<double> read_load_average(const fs::path& proc_root) {
  auto text = read_proc_file(proc_root / "loadavg");
  if (!text) return std::unexpected(text.error());
  auto load = parse_load_average(*text);
  if (!load) {
    return make_error(load.error().kind,
                      (proc_root / "loadavg").string() + ": " + load.error().message);
  }
  return load;
}

Fact<std::string> read_hostname(const fs::path& proc_root) {
  if (auto text = read_proc_file(proc_root / "sys/kernel/hostname"); text && !text->empty()) {
    return Fact<std::string>::known(*text);
  }
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') {
    return Fact<std::string>::unknown("neither " + (proc_root / "sys/kernel/hostname").string() +
                                      " nor gethostname() gave a name");
  }
  return Fact<std::string>::known(buf);
}

NodeInventory read_node_inventory(const ProbeContext& context,
                                  const std::vector<ChannelInfo>& channels) {
  NodeInventory inv;
  inv.hostname = read_hostname(context.proc_root);

  const fs::path cpuinfo_path = context.proc_root / "cpuinfo";
  if (auto text = read_proc_file(cpuinfo_path); !text) {
    inv.cpu_model = Fact<std::string>::unknown(text.error().message);
  } else if (auto models = parse_cpu_models(*text); !models) {
    inv.cpu_model =
        Fact<std::string>::unknown(cpuinfo_path.string() + ": " + models.error().message);
  } else {
    inv.cpu_model = Fact<std::string>::known(models->front());
    for (std::size_t i = 1; i < models->size(); ++i) {
      inv.notes.push_back("more than one CPU model on this node; also '" + (*models)[i] + "'");
    }
  }

  if (auto cpus = read_cpu_topology(context.sysfs_root); !cpus) {
    const std::string why = cpus.error().message;
    inv.sockets = Fact<int>::unknown(why);
    inv.cores = Fact<int>::unknown(why);
    inv.threads = Fact<int>::unknown(why);
  } else {
    std::set<int> packages;
    std::set<std::tuple<int, int, int>> cores;
    for (const auto& cpu : *cpus) {
      packages.insert(cpu.package);
      cores.insert({cpu.package, cpu.die, cpu.core});
    }
    inv.sockets = Fact<int>::known(static_cast<int>(packages.size()));
    inv.cores = Fact<int>::known(static_cast<int>(cores.size()));
    inv.threads = Fact<int>::known(static_cast<int>(cpus->size()));
  }

  const fs::path meminfo_path = context.proc_root / "meminfo";
  if (auto text = read_proc_file(meminfo_path); !text) {
    inv.memory_bytes = Fact<std::uint64_t>::unknown(text.error().message);
  } else if (auto bytes = parse_mem_total_bytes(*text); !bytes) {
    inv.memory_bytes =
        Fact<std::uint64_t>::unknown(meminfo_path.string() + ": " + bytes.error().message);
  } else {
    inv.memory_bytes = Fact<std::uint64_t>::known(*bytes);
  }

  for (const auto& c : channels) {
    InventoryChannel entry{c.id, c.domain, c.device, c.provenance};
    inv.channels.push_back(entry);
    if (c.domain == Domain::kNode || c.domain == Domain::kPsu) inv.node_meters.push_back(entry);
    if (c.domain != Domain::kGpu || is_part_of_another(c, channels)) continue;
    GpuInventory gpu;
    gpu.index = c.identity.index;
    gpu.channel_id = c.id;
    gpu.model = c.device;
    gpu.provenance = c.provenance;
    gpu.uuid = c.identity.uuid;
    gpu.power_limit_w = c.identity.rated_power_w;
    gpu.power_limit_source = c.identity.rated_power_source;
    inv.gpus.push_back(std::move(gpu));
  }
  std::sort(inv.gpus.begin(), inv.gpus.end(),
            [](const GpuInventory& a, const GpuInventory& b) { return a.index < b.index; });
  return inv;
}

}  // namespace jt
