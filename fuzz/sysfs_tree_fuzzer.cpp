// SPDX-License-Identifier: BSD-3-Clause
// Fuzzes the powercap and hwmon probes on a small sysfs tree whose names and file contents come
// from the input, then reads every sensor found once and feeds the readings to accumulators.
//
// The input is split on '|' into fields; a missing field leaves its file out, an empty one makes
// an empty file. Directory and file names lose '/' and NUL bytes and are cut to 100 bytes.
//    0 powercap zone A directory suffix, "intel-rapl:<0>"     9 cpu modalias
//    1 zone A name                                            10 hwmon directory suffix,
//    "hwmon<10>" 2 zone A energy_uj                                       11 hwmon name 3 zone A
//    max_energy_range_uj                             12 hwmon attribute file name 4 zone A
//    constraint_0_max_power_uw                       13 its content 5 zone B directory suffix,
//    "intel-rapl:<5>"              14 its label (<prefix>_label) 6 zone B name 15
//    <prefix>_average_interval 7 zone B energy_uj                                       16 second
//    hwmon attribute file name 8 zone B max_energy_range_uj                             17 its
//    content
//
// Invariants: no crash, no exception escapes a probe; every channel has a non-empty id that is
// unique within its sensor, a finite positive scale, a finite non-negative update period and
// worst-case power; every probe answers with at least one report; a read gives every channel a
// reading with a valid status, and an accumulator built from the channel takes it.
#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "sampler/channel_accumulator.hpp"
#include "sensors/backends.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path& scratch_root() {
  static const fs::path root = [] {
    std::string templ = (fs::temp_directory_path() / "jt-fuzz-sysfs-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) std::abort();
    return fs::path(templ);
  }();
  return root;
}

std::vector<std::string_view> split(std::string_view input, char sep) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  for (;;) {
    const auto next = input.find(sep, pos);
    out.push_back(input.substr(pos, next == std::string_view::npos ? next : next - pos));
    if (next == std::string_view::npos) return out;
    pos = next + 1;
  }
}

// A usable file name from arbitrary bytes, or empty when none can be made.
std::string file_name(std::string_view text) {
  std::string name;
  for (const char c : text.substr(0, 100)) {
    if (c != '/' && c != '\0') name += c;
  }
  if (name == "." || name == "..") return {};
  return name;
}

void write_file(const fs::path& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;  // e.g. the name is taken by a directory: the tree just lacks the file
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

struct Fields {
  std::vector<std::string_view> f;
  bool has(std::size_t i) const { return i < f.size(); }
  std::string_view operator[](std::size_t i) const { return has(i) ? f[i] : std::string_view{}; }
};

void make_zone(const fs::path& powercap, const Fields& in, std::size_t first, bool constraint) {
  if (!in.has(first)) return;
  const std::string suffix = file_name(in[first]);
  if (suffix.empty()) return;
  const fs::path zone = powercap / ("intel-rapl:" + suffix);
  std::error_code ec;
  fs::create_directories(zone, ec);
  if (ec) return;
  if (in.has(first + 1)) write_file(zone / "name", in[first + 1]);
  if (in.has(first + 2)) write_file(zone / "energy_uj", in[first + 2]);
  if (in.has(first + 3)) write_file(zone / "max_energy_range_uj", in[first + 3]);
  if (constraint && in.has(first + 4))
    write_file(zone / "constraint_0_max_power_uw", in[first + 4]);
}

// "power1_average" -> "power1": the prefix hwmon's label and interval files are named after.
std::string attribute_prefix(const std::string& file) {
  const auto underscore = file.rfind('_');
  return underscore == std::string::npos ? file : file.substr(0, underscore);
}

void build_tree(const fs::path& root, const Fields& in) {
  std::error_code ec;
  const fs::path powercap = root / "class/powercap";
  fs::create_directories(powercap, ec);
  make_zone(powercap, in, 0, true);
  make_zone(powercap, in, 5, false);
  if (in.has(9)) {
    fs::create_directories(root / "devices/system/cpu", ec);
    write_file(root / "devices/system/cpu/modalias", in[9]);
  }
  if (!in.has(10)) return;
  const std::string hwmon_dir = file_name("hwmon" + std::string(in[10]));
  const fs::path device = root / "class/hwmon" / hwmon_dir;
  fs::create_directories(device, ec);
  if (ec) return;
  if (in.has(11)) write_file(device / "name", in[11]);
  for (const std::size_t at : {std::size_t{12}, std::size_t{16}}) {
    if (!in.has(at)) continue;
    const std::string attr = file_name(in[at]);
    if (attr.empty()) continue;
    write_file(device / attr, in[at + 1]);
    if (at == 12) {
      const std::string prefix = attribute_prefix(attr);
      if (in.has(14)) write_file(device / (prefix + "_label"), in[14]);
      if (in.has(15)) write_file(device / (prefix + "_average_interval"), in[15]);
    }
  }
}

void check_outcome(const jt::ProbeOutcome& outcome) {
  JT_FUZZ_CHECK(!outcome.reports.empty());
  for (const auto& report : outcome.reports) JT_FUZZ_CHECK(!report.backend.empty());
  for (const auto& sensor : outcome.sensors) {
    JT_FUZZ_CHECK(sensor != nullptr);
    const auto channels = sensor->channels();
    JT_FUZZ_CHECK(!channels.empty());
    std::set<std::string> ids;
    for (const auto& c : channels) {
      JT_FUZZ_CHECK(!c.id.empty());
      JT_FUZZ_CHECK(ids.insert(c.id).second);
      JT_FUZZ_CHECK(std::isfinite(c.scale) && c.scale > 0.0);
      JT_FUZZ_CHECK(std::isfinite(c.update_period_s) && c.update_period_s >= 0.0);
      JT_FUZZ_CHECK(std::isfinite(c.max_power_w) && c.max_power_w >= 0.0);
      JT_FUZZ_CHECK(!c.provenance.empty());
    }
    std::vector<jt::Reading> readings(channels.size());
    for (auto& r : readings) r.status = static_cast<jt::Reading::Status>(0xEE);  // unfilled
    sensor->read(readings);
    for (std::size_t i = 0; i < readings.size(); ++i) {
      const auto& r = readings[i];
      JT_FUZZ_CHECK(
          r.status == jt::Reading::Status::kOk || r.status == jt::Reading::Status::kSkipped ||
          r.status == jt::Reading::Status::kUnavailable || r.status == jt::Reading::Status::kLost);
      JT_FUZZ_CHECK(r.half_width_ns >= 0);
      jt::ChannelAccumulator acc(channels[i], {});
      acc.update(r);
      acc.finish();
      JT_FUZZ_CHECK(std::isfinite(acc.energy_j()) && acc.energy_j() == 0.0);
      JT_FUZZ_CHECK(std::isfinite(acc.plausible_power_w()));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(scratch_root(), ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 8192) return 0;  // a few small files; longer inputs only slow the search down
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Fields fields{split(input, '|')};

  const fs::path root = scratch_root() / "sys";
  std::error_code ec;
  fs::remove_all(root, ec);
  build_tree(root, fields);

  jt::ProbeContext context;
  context.sysfs_root = root;
  context.dev_root = scratch_root() / "no-dev";
  context.rapl_found = !input.empty() && (data[0] & 1) != 0;

  check_outcome(jt::probe_powercap(context));
  check_outcome(jt::probe_hwmon(context));
  return 0;
}
