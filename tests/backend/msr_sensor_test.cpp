// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/msr/msr_sensor.hpp"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "sensors/backends.hpp"
#include "support/test_support.hpp"

namespace jt {
namespace {

namespace fs = std::filesystem;
using jt::test::TempTree;
using jt::test::write_file;

// MSR_RAPL_POWER_UNIT as the hardware reports it: TU=10 (bits 19:16), ESU (12:8), PU=3 (3:0).
std::uint64_t unit_register(unsigned esu) { return (10u << 16) | (esu << 8) | 3u; }

// The msr driver's file offset is the register number, so a sparse regular file with the value
// at that offset stands in for /dev/cpu/<N>/msr. Unlike the device, the file is one byte image:
// registers closer than 8 addresses apart share bytes (0x611/0x614/0x619, and AMD's 0xC0010299,
// 0xC001029A and 0xC001029B). Fixtures therefore write in ascending address order, so that each
// register keeps its low bytes and its high bytes are the next register's low bytes, and pick
// values for which that is harmless or state what it gives.
void write_msr(const fs::path& file, std::uint32_t address, std::uint64_t value) {
  fs::create_directories(file.parent_path());
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << file;
  const ssize_t n = ::pwrite(fd, &value, sizeof value, static_cast<off_t>(address));
  ::close(fd);
  ASSERT_EQ(n, static_cast<ssize_t>(sizeof value)) << file;
}

// A node under a TempTree: sysfs CPU identity and topology, and the msr device files.
class Node {
 public:
  Node(const char* vendor, int family, int model) {
    char modalias[96];
    std::snprintf(modalias, sizeof modalias, "cpu:type:x86,ven%sfam%04Xmod%04X:feature:,0000",
                  vendor, static_cast<unsigned>(family), static_cast<unsigned>(model));
    write_file(cpu_dir() / "modalias", std::string(modalias) + "\n");
  }

  void add_cpu(int cpu, int package, int core, int die = 0) {
    const fs::path topology = cpu_dir() / ("cpu" + std::to_string(cpu)) / "topology";
    write_file(topology / "physical_package_id", std::to_string(package) + "\n");
    write_file(topology / "die_id", std::to_string(die) + "\n");
    write_file(topology / "core_id", std::to_string(core) + "\n");
  }

  fs::path msr_path(int cpu) const {
    return tree_.path() / "dev" / "cpu" / std::to_string(cpu) / "msr";
  }
  void set_msr(int cpu, std::uint32_t address, std::uint64_t value) const {
    write_msr(msr_path(cpu), address, value);
  }
  void set_msrs(int cpu, const std::map<std::uint32_t, std::uint64_t>& registers) const {
    for (const auto& [address, value] : registers) set_msr(cpu, address, value);
  }

  ProbeContext context() const {
    ProbeContext context;
    context.sysfs_root = tree_.path() / "sys";
    context.dev_root = tree_.path() / "dev";
    return context;
  }
  const TempTree& tree() const { return tree_; }

 private:
  fs::path cpu_dir() const { return tree_.path() / "sys/devices/system/cpu"; }
  TempTree tree_;
};

constexpr const char* kIntel = "0000";
constexpr const char* kAmd = "0002";
constexpr const char* kHygon = "0009";

const ChannelInfo* find(const Sensor& sensor, const std::string& id) {
  for (const ChannelInfo& channel : sensor.channels()) {
    if (channel.id == id) return &channel;
  }
  return nullptr;
}

std::vector<std::string> ids(const Sensor& sensor) {
  std::vector<std::string> out;
  for (const ChannelInfo& channel : sensor.channels()) out.push_back(channel.id);
  return out;
}

// Two-socket Cascade Lake (family 6 model 0x55) with ESU=14 and a 160 W TDP. Linux numbers the
// CPUs of the two sockets alternately here, and only the lead CPUs (0 and 1) have an msr file:
// opening any other CPU would make the probe fail.
void make_cascade_lake(Node& node) {
  for (int cpu = 0; cpu < 8; ++cpu) node.add_cpu(cpu, cpu % 2, cpu / 2);
  for (int lead = 0; lead < 2; ++lead) {
    const auto n = static_cast<std::uint64_t>(lead);
    node.set_msrs(lead, {
                            {msr::kRaplPowerUnit, unit_register(14)},
                            {msr::kPkgEnergyStatus, 0x1000 + n},
                            // 1/8 W units (PU=3); the low byte is 0 so that the package counter,
                            // which shares it (see write_msr), keeps its 32-bit value.
                            {msr::kPkgPowerInfo, 160 * 8},
                            {msr::kDramEnergyStatus, 0x3000 + n},
                            {msr::kPp0EnergyStatus, 0x2000 + n},
                            // Uncore (PP1) and PSys read 0 on this server part.
                            {msr::kPlatformEnergyStatus, 0},
                        });
  }
}

TEST(MsrSensor, CascadeLakeTwoSocketsPackageCoreDram) {
  Node node(kIntel, 6, 0x55);
  make_cascade_lake(node);
  ProbeOutcome outcome = probe_msr(node.context());
  ASSERT_EQ(outcome.reports.size(), 1u);
  const ProbeReport& report = outcome.reports[0];
  EXPECT_EQ(report.backend, "msr");
  ASSERT_EQ(report.status, ProbeReport::Status::kPresent) << report.detail << " / " << report.hint;
  EXPECT_NE(report.detail.find("Intel family 6 model 0x55"), std::string::npos) << report.detail;
  EXPECT_NE(report.detail.find("2 packages"), std::string::npos) << report.detail;
  EXPECT_NE(report.detail.find("package, core, dram"), std::string::npos) << report.detail;
  EXPECT_NE(report.detail.find("ESU=14"), std::string::npos) << report.detail;
  ASSERT_EQ(outcome.sensors.size(), 1u);
  const Sensor& sensor = *outcome.sensors[0];
  EXPECT_EQ(sensor.backend(), "msr");
  EXPECT_EQ(ids(sensor), (std::vector<std::string>{"msr/package-0", "msr/package-0/core",
                                                   "msr/package-0/dram", "msr/package-1",
                                                   "msr/package-1/core", "msr/package-1/dram"}));

  const ChannelInfo* package = find(sensor, "msr/package-1");
  ASSERT_NE(package, nullptr);
  EXPECT_EQ(package->domain, Domain::kPackage);
  EXPECT_EQ(package->identity.index, 1);
  EXPECT_EQ(package->device, "package-1");
  EXPECT_EQ(package->quantity, Quantity::kEnergyCounter);
  EXPECT_DOUBLE_EQ(package->scale, std::ldexp(1.0, -14));
  EXPECT_EQ(package->raw_unit, "2^-14 J");
  EXPECT_EQ(package->wrap_modulus, 1ull << 32);
  EXPECT_DOUBLE_EQ(package->update_period_s, 0.001);
  EXPECT_DOUBLE_EQ(package->max_power_w, 320.0);  // twice the 160 W thermal spec power
  EXPECT_EQ(package->provenance, node.msr_path(1).string() + " @0x611");
  EXPECT_EQ(package->contains, std::vector<std::string>{"msr/package-1/core"});

  const ChannelInfo* core = find(sensor, "msr/package-0/core");
  ASSERT_NE(core, nullptr);
  EXPECT_EQ(core->domain, Domain::kCore);
  EXPECT_EQ(core->device, "package-0 core");
  EXPECT_DOUBLE_EQ(core->scale, std::ldexp(1.0, -14));
  EXPECT_EQ(core->provenance, node.msr_path(0).string() + " @0x639");

  const ChannelInfo* dram = find(sensor, "msr/package-0/dram");
  ASSERT_NE(dram, nullptr);
  EXPECT_EQ(dram->domain, Domain::kDram);
  EXPECT_EQ(dram->device, "package-0 dram");
  EXPECT_DOUBLE_EQ(dram->scale, 15.3e-6);
  EXPECT_EQ(dram->raw_unit, "15.3 uJ");
  EXPECT_DOUBLE_EQ(dram->max_power_w, 200.0);
  EXPECT_NE(dram->note.find("HSX-class"), std::string::npos) << dram->note;
  EXPECT_EQ(dram->provenance, node.msr_path(0).string() + " @0x619");

  // Reading works without any non-lead CPU's msr file: only one CPU per package was opened.
  std::vector<Reading> readings(sensor.channels().size());
  outcome.sensors[0]->read(readings);
  for (const Reading& reading : readings) EXPECT_EQ(reading.status, Reading::Status::kOk);
  EXPECT_EQ(readings[0].raw, 0x1000u);
  EXPECT_EQ(readings[3].raw, 0x1001u);
  EXPECT_EQ(readings[5].raw, 0x3001u);
}

// Files of this process open under `root`, from /proc/self/fd.
std::vector<fs::path> open_files_under(const fs::path& root) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd", ec)) {
    const fs::path target = fs::read_symlink(entry.path(), ec);
    if (!ec && target.string().starts_with(root.string() + "/")) out.push_back(target);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(MsrSensor, OnlyLeadCpuOfEachPackageIsOpened) {
  Node node(kIntel, 6, 0x55);
  make_cascade_lake(node);
  // Every CPU has a working msr file this time, so only the probe's choice limits what it opens.
  for (int cpu = 2; cpu < 8; ++cpu) {
    fs::create_directories(node.msr_path(cpu).parent_path());
    fs::copy_file(node.msr_path(cpu % 2), node.msr_path(cpu));
  }
  ProbeOutcome outcome = probe_msr(node.context());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kPresent) << outcome.reports[0].detail;
  ASSERT_EQ(outcome.sensors.size(), 1u);
  EXPECT_EQ(open_files_under(node.tree().path()),
            (std::vector<fs::path>{node.msr_path(0), node.msr_path(1)}));
  for (const ChannelInfo& channel : outcome.sensors[0]->channels()) {
    const bool lead = channel.provenance.starts_with(node.msr_path(0).string() + " ") ||
                      channel.provenance.starts_with(node.msr_path(1).string() + " ");
    EXPECT_TRUE(lead) << channel.id << " read from " << channel.provenance;
  }
  // The sensor owns its descriptors and closes them.
  outcome.sensors.clear();
  EXPECT_TRUE(open_files_under(node.tree().path()).empty());
}

TEST(MsrSensor, ClientSkylakeHasUncoreAndPsys) {
  Node node(kIntel, 6, 0x5E);
  for (int cpu = 0; cpu < 4; ++cpu) node.add_cpu(cpu, 0, cpu % 2);
  node.set_msrs(0, {
                       {msr::kRaplPowerUnit, unit_register(14)},
                       {msr::kPkgEnergyStatus, 0x100},
                       {msr::kPkgPowerInfo, 64 * 8},
                       {msr::kDramEnergyStatus, 0},  // no DRAM domain on this client part
                       {msr::kPp0EnergyStatus, 0x200},
                       {msr::kPp1EnergyStatus, 0x300},
                       {msr::kPlatformEnergyStatus, 0x400},
                   });
  ProbeOutcome outcome = probe_msr(node.context());
  ASSERT_EQ(outcome.sensors.size(), 1u) << outcome.reports[0].detail;
  EXPECT_NE(outcome.reports[0].detail.find("1 package: package, core, uncore, psys"),
            std::string::npos)
      << outcome.reports[0].detail;
  const Sensor& sensor = *outcome.sensors[0];
  EXPECT_EQ(ids(sensor), (std::vector<std::string>{"msr/package-0", "msr/package-0/core",
                                                   "msr/package-0/uncore", "msr/psys"}));
  const ChannelInfo* package = find(sensor, "msr/package-0");
  ASSERT_NE(package, nullptr);
  EXPECT_EQ(package->contains,
            (std::vector<std::string>{"msr/package-0/core", "msr/package-0/uncore"}));
  EXPECT_DOUBLE_EQ(package->max_power_w, 128.0);
  const ChannelInfo* uncore = find(sensor, "msr/package-0/uncore");
  ASSERT_NE(uncore, nullptr);
  EXPECT_EQ(uncore->domain, Domain::kUncore);
  const ChannelInfo* psys = find(sensor, "msr/psys");
  ASSERT_NE(psys, nullptr);
  EXPECT_EQ(psys->domain, Domain::kPsys);
  EXPECT_EQ(psys->device, "psys");
  EXPECT_DOUBLE_EQ(psys->scale, std::ldexp(1.0, -14));
  EXPECT_EQ(psys->raw_unit, "2^-14 J");
  EXPECT_DOUBLE_EQ(psys->max_power_w, 1000.0);
  EXPECT_EQ(psys->contains, std::vector<std::string>{"msr/package-0"});
  EXPECT_EQ(psys->provenance, node.msr_path(0).string() + " @0x64d");
}

TEST(MsrSensor, SapphireRapidsPsysInJoulesAndStandardDramUnit) {
  Node node(kIntel, 6, 0x8F);
  for (int cpu = 0; cpu < 4; ++cpu) node.add_cpu(cpu, cpu / 2, cpu % 2);
  for (const int lead : {0, 2}) {
    node.set_msrs(lead, {
                            {msr::kRaplPowerUnit, unit_register(14)},
                            {msr::kPkgEnergyStatus, 0x10},
                            {msr::kDramEnergyStatus, 0x20},
                            // Only the master package has PSys; here it is the second one, so
                            // the probe must look past the first.
                            {msr::kPlatformEnergyStatus, lead == 0 ? 0u : 0x7u},
                        });
  }
  ProbeOutcome outcome = probe_msr(node.context());
  ASSERT_EQ(outcome.sensors.size(), 1u) << outcome.reports[0].detail;
  EXPECT_NE(outcome.reports[0].detail.find("PSys unit 1 J"), std::string::npos)
      << outcome.reports[0].detail;
  const Sensor& sensor = *outcome.sensors[0];
  EXPECT_EQ(ids(sensor),
            (std::vector<std::string>{"msr/package-0", "msr/package-0/dram", "msr/package-1",
                                      "msr/package-1/dram", "msr/psys"}));
  const ChannelInfo* dram = find(sensor, "msr/package-1/dram");
  ASSERT_NE(dram, nullptr);
  EXPECT_DOUBLE_EQ(dram->scale, std::ldexp(1.0, -14));  // the SPR DRAM quirk was removed
  EXPECT_EQ(dram->raw_unit, "2^-14 J");
  EXPECT_TRUE(dram->note.empty()) << dram->note;
  const ChannelInfo* package = find(sensor, "msr/package-0");
  ASSERT_NE(package, nullptr);
  EXPECT_DOUBLE_EQ(package->max_power_w, 500.0);  // no MSR_PKG_POWER_INFO in this fixture
  const ChannelInfo* psys = find(sensor, "msr/psys");
  ASSERT_NE(psys, nullptr);
  EXPECT_DOUBLE_EQ(psys->scale, 1.0);
  EXPECT_EQ(psys->raw_unit, "1 J");
  EXPECT_EQ(psys->identity.index, 1);
  EXPECT_EQ(psys->provenance, node.msr_path(2).string() + " @0x64d");
  EXPECT_EQ(psys->contains, (std::vector<std::string>{"msr/package-0", "msr/package-0/dram",
                                                      "msr/package-1", "msr/package-1/dram"}));
}

TEST(MsrSensor, AmdMilanTwoPackagesWithPerCoreChannels) {
  Node node(kAmd, 0x19, 0x01);
  // 2 packages x 4 cores x 2 threads, numbered as Linux does: the first thread of every core,
  // then the SMT siblings (CPUs 8-15), which have no msr file here.
  for (int cpu = 0; cpu < 16; ++cpu) node.add_cpu(cpu, (cpu / 4) % 2, cpu % 4);
  for (const int lead : {1, 2, 3, 5, 6, 7}) {
    node.set_msr(lead, msr::kAmdCoreEnergyStatus, 0x100u + static_cast<unsigned>(lead));
  }
  // The package leads' three registers are one byte apart and share bytes (see write_msr): the
  // core counter is the unit register's second byte (0x10, ESU=16) followed by the package
  // counter.
  for (const int lead : {0, 4}) {
    node.set_msrs(lead, {
                            {msr::kAmdRaplPowerUnit, unit_register(16)},
                            {msr::kAmdPkgEnergyStatus, 0x9000u + static_cast<unsigned>(lead)},
                        });
  }
  ProbeOutcome outcome = probe_msr(node.context());
  ASSERT_EQ(outcome.reports.size(), 1u);
  ASSERT_EQ(outcome.reports[0].status, ProbeReport::Status::kPresent) << outcome.reports[0].detail;
  EXPECT_NE(outcome.reports[0].detail.find("AMD family 0x19 model 0x1"), std::string::npos)
      << outcome.reports[0].detail;
  EXPECT_NE(outcome.reports[0].detail.find("package, core (8 cores); ESU=16"), std::string::npos)
      << outcome.reports[0].detail;
  ASSERT_EQ(outcome.sensors.size(), 1u);
  const Sensor& sensor = *outcome.sensors[0];
  EXPECT_EQ(ids(sensor), (std::vector<std::string>{
                             "msr/package-0", "msr/package-0/core-0", "msr/package-0/core-1",
                             "msr/package-0/core-2", "msr/package-0/core-3", "msr/package-1",
                             "msr/package-1/core-0", "msr/package-1/core-1", "msr/package-1/core-2",
                             "msr/package-1/core-3"}));
  const ChannelInfo* package = find(sensor, "msr/package-1");
  ASSERT_NE(package, nullptr);
  EXPECT_DOUBLE_EQ(package->scale, std::ldexp(1.0, -16));
  EXPECT_EQ(package->raw_unit, "2^-16 J");
  EXPECT_DOUBLE_EQ(package->max_power_w, 500.0);
  EXPECT_EQ(package->provenance, node.msr_path(4).string() + " @0xc001029b");
  EXPECT_EQ(package->contains,
            (std::vector<std::string>{"msr/package-1/core-0", "msr/package-1/core-1",
                                      "msr/package-1/core-2", "msr/package-1/core-3"}));
  const ChannelInfo* core = find(sensor, "msr/package-1/core-1");
  ASSERT_NE(core, nullptr);
  EXPECT_EQ(core->domain, Domain::kCore);
  EXPECT_EQ(core->identity.index, 1);
  EXPECT_EQ(core->device, "package-1 core-1");
  EXPECT_EQ(core->provenance, node.msr_path(5).string() + " @0xc001029a");
  for (const ChannelInfo& channel : sensor.channels()) {
    EXPECT_NE(channel.domain, Domain::kDram) << channel.id;
    EXPECT_NE(channel.domain, Domain::kPsys) << channel.id;
  }
  std::vector<Reading> readings(sensor.channels().size());
  outcome.sensors[0]->read(readings);
  EXPECT_EQ(readings[0].raw, 0x9000u);
  EXPECT_EQ(readings[1].raw, 0x900010u);   // package-0 core-0: CPU 0, sharing bytes as above
  EXPECT_EQ(readings[5].raw, 0x9004u);     // package-1 from CPU 4
  EXPECT_EQ(readings[7].raw, 0x100u + 5);  // package-1 core-1 is CPU 5
}

TEST(MsrSensor, HygonUsesTheAmdRegisters) {
  Node node(kHygon, 0x18, 0x00);
  node.add_cpu(0, 0, 0);
  // Core counter = 0x10 (unit byte) followed by the package counter, as in the Milan fixture.
  node.set_msrs(0, {{msr::kAmdRaplPowerUnit, unit_register(16)}, {msr::kAmdPkgEnergyStatus, 9}});
  ProbeOutcome outcome = probe_msr(node.context());
  ASSERT_EQ(outcome.sensors.size(), 1u) << outcome.reports[0].detail;
  EXPECT_NE(outcome.reports[0].detail.find("Hygon family 0x18"), std::string::npos)
      << outcome.reports[0].detail;
  EXPECT_EQ(ids(*outcome.sensors[0]),
            (std::vector<std::string>{"msr/package-0", "msr/package-0/core-0"}));
  EXPECT_DOUBLE_EQ(outcome.sensors[0]->channels()[0].scale, std::ldexp(1.0, -16));
}

TEST(MsrSensor, ZeroValuedDomainIsAbsent) {
  Node node(kIntel, 6, 0x55);
  make_cascade_lake(node);
  node.set_msr(1, msr::kDramEnergyStatus, 0);
  node.set_msr(0, msr::kPp0EnergyStatus, 0);
  ProbeOutcome outcome = probe_msr(node.context());
  ASSERT_EQ(outcome.sensors.size(), 1u) << outcome.reports[0].detail;
  const Sensor& sensor = *outcome.sensors[0];
  EXPECT_EQ(ids(sensor), (std::vector<std::string>{"msr/package-0", "msr/package-0/dram",
                                                   "msr/package-1", "msr/package-1/core"}));
  EXPECT_TRUE(find(sensor, "msr/package-0")->contains.empty());
}

TEST(MsrSensor, AllCountersZeroIsAbsent) {
  Node node(kIntel, 6, 0x55);
  node.add_cpu(0, 0, 0);
  node.set_msr(0, msr::kRaplPowerUnit, unit_register(14));
  node.set_msr(0, msr::kPlatformEnergyStatus, 0);
  ProbeOutcome outcome = probe_msr(node.context());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kAbsent);
  EXPECT_TRUE(outcome.sensors.empty());
}

TEST(MsrSensor, UnreadableUnitRegisterMeansNoRapl) {
  Node node(kIntel, 6, 0x1A);  // Nehalem: an msr device, but no RAPL registers behind it
  node.add_cpu(0, 0, 0);
  write_file(node.msr_path(0), "");
  ProbeOutcome outcome = probe_msr(node.context());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kAbsent);
  EXPECT_NE(outcome.reports[0].detail.find("0x606"), std::string::npos)
      << outcome.reports[0].detail;
  EXPECT_TRUE(outcome.sensors.empty());
}

TEST(MsrSensor, ReadReturnsMasked32BitRawAndFollowsTheFile) {
  Node node(kIntel, 6, 0x55);
  node.add_cpu(0, 0, 0);
  node.set_msrs(0, {
                       {msr::kRaplPowerUnit, unit_register(14)},
                       // Bits 63:32 are reserved and may hold anything.
                       {msr::kPkgEnergyStatus, 0xDEADBEEF'12345678ull},
                   });
  ProbeOutcome outcome = probe_msr(node.context());
  ASSERT_EQ(outcome.sensors.size(), 1u) << outcome.reports[0].detail;
  Sensor& sensor = *outcome.sensors[0];
  ASSERT_EQ(sensor.channels().size(), 1u);

  std::vector<Reading> readings(1);
  sensor.read(readings);
  EXPECT_EQ(readings[0].status, Reading::Status::kOk);
  EXPECT_EQ(readings[0].raw, 0x12345678u);
  EXPECT_GT(readings[0].t_ns, 0);
  EXPECT_GE(readings[0].half_width_ns, 0);
  const std::int64_t first_t = readings[0].t_ns;

  node.set_msr(0, msr::kPkgEnergyStatus, 0x00000001'00000005ull);
  sensor.read(readings);
  EXPECT_EQ(readings[0].status, Reading::Status::kOk);
  EXPECT_EQ(readings[0].raw, 5u);
  EXPECT_GE(readings[0].t_ns, first_t);

  // A register that can no longer be read is unavailable, not zero energy.
  fs::resize_file(node.msr_path(0), msr::kPkgEnergyStatus);
  sensor.read(readings);
  EXPECT_EQ(readings[0].status, Reading::Status::kUnavailable);
}

TEST(MsrSensor, MissingDevTreeIsAbsentWithModprobeHint) {
  Node node(kIntel, 6, 0x55);
  node.add_cpu(0, 0, 0);
  node.add_cpu(1, 0, 1);
  ProbeOutcome outcome = probe_msr(node.context());
  ASSERT_EQ(outcome.reports.size(), 1u);
  const ProbeReport& report = outcome.reports[0];
  EXPECT_EQ(report.status, ProbeReport::Status::kAbsent);
  EXPECT_EQ(report.detail, "no " + node.msr_path(0).string());
  EXPECT_EQ(report.hint, "load the msr driver: modprobe msr");
  EXPECT_TRUE(outcome.sensors.empty());
}

TEST(MsrSensor, UnknownVendorIsAbsent) {
  Node node("0005", 6, 0x0F);  // Centaur
  node.add_cpu(0, 0, 0);
  ProbeOutcome outcome = probe_msr(node.context());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kAbsent);
  EXPECT_EQ(outcome.reports[0].detail, "no RAPL MSRs on this CPU vendor");
  EXPECT_TRUE(outcome.sensors.empty());
}

TEST(MsrSensor, AmdFamilyWithoutRaplIsAbsent) {
  Node node(kAmd, 0x15, 0x02);
  node.add_cpu(0, 0, 0);
  ProbeOutcome outcome = probe_msr(node.context());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kAbsent);
  EXPECT_NE(outcome.reports[0].detail.find("family 0x15"), std::string::npos)
      << outcome.reports[0].detail;
}

TEST(MsrSensor, MissingModaliasOrTopologyIsAnError) {
  TempTree empty;
  ProbeContext context;
  context.sysfs_root = empty.path() / "sys";
  context.dev_root = empty.path() / "dev";
  ProbeOutcome outcome = probe_msr(context);
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kError);
  EXPECT_NE(outcome.reports[0].detail.find("modalias"), std::string::npos)
      << outcome.reports[0].detail;

  Node node(kIntel, 6, 0x55);  // modalias but no cpuN/topology
  outcome = probe_msr(node.context());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kError);
  EXPECT_NE(outcome.reports[0].detail.find("topology"), std::string::npos)
      << outcome.reports[0].detail;
}

TEST(MsrSensor, MultiDiePackageCarriesANote) {
  Node node(kIntel, 6, 0x55);  // Cascade Lake-AP: two dies per package
  node.add_cpu(0, 0, 0, 0);
  node.add_cpu(1, 0, 0, 1);
  node.set_msrs(0, {{msr::kRaplPowerUnit, unit_register(14)}, {msr::kPkgEnergyStatus, 0x10}});
  ProbeOutcome outcome = probe_msr(node.context());
  ASSERT_EQ(outcome.sensors.size(), 1u) << outcome.reports[0].detail;
  const ChannelInfo* package = find(*outcome.sensors[0], "msr/package-0");
  ASSERT_NE(package, nullptr);
  EXPECT_NE(package->note.find("2 dies"), std::string::npos) << package->note;
  EXPECT_NE(outcome.reports[0].detail.find("one die only"), std::string::npos)
      << outcome.reports[0].detail;
}

// Runs probe_msr as an unprivileged user in a child process. Returns the child's report status
// and hint, or sets `skip` when privileges cannot be dropped here.
struct ChildProbe {
  bool skip = false;
  std::string why;
  int status = -1;
  std::string hint;
};

ChildProbe probe_as_nobody(const ProbeContext& context) {
  ChildProbe result;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    result.skip = true;
    result.why = "pipe2 failed";
    return result;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    result.skip = true;
    result.why = "fork failed";
    return result;
  }
  constexpr int kCannotDrop = 99;
  if (pid == 0) {
    ::close(fds[0]);
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) {
      ::_exit(kCannotDrop);
    }
    const ProbeOutcome outcome = probe_msr(context);
    if (outcome.reports.size() != 1) ::_exit(98);
    const std::string& hint = outcome.reports[0].hint;
    const ssize_t n = ::write(fds[1], hint.data(), hint.size());
    (void)n;
    ::close(fds[1]);
    ::_exit(static_cast<int>(outcome.reports[0].status));
  }
  ::close(fds[1]);
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.hint.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wstatus)) {
    result.why = "child probe crashed";
    return result;
  }
  if (WEXITSTATUS(wstatus) == kCannotDrop) {
    result.skip = true;
    result.why = "cannot drop root privileges to uid 65534 here (no CAP_SETUID?)";
    return result;
  }
  result.status = WEXITSTATUS(wstatus);
  return result;
}

TEST(MsrSensor, PermissionDeniedGivesTheRootHint) {
  Node node(kIntel, 6, 0x55);
  make_cascade_lake(node);
  node.tree().make_world_readable();
  ASSERT_EQ(::chmod(node.msr_path(0).c_str(), 0), 0);

  // Root bypasses file modes, so the probe has to run as someone else to see EACCES.
  const int fd = ::open(node.msr_path(0).c_str(), O_RDONLY | O_CLOEXEC);
  const bool mode_ignored = fd >= 0;
  if (fd >= 0) ::close(fd);

  int status = -1;
  std::string hint;
  if (!mode_ignored) {
    ProbeOutcome outcome = probe_msr(node.context());
    ASSERT_EQ(outcome.reports.size(), 1u);
    EXPECT_TRUE(outcome.sensors.empty());
    status = static_cast<int>(outcome.reports[0].status);
    hint = outcome.reports[0].hint;
  } else {
    if (::geteuid() != 0) GTEST_SKIP() << "a chmod-000 file is readable, but we are not root";
    const ChildProbe child = probe_as_nobody(node.context());
    if (child.skip) GTEST_SKIP() << child.why;
    ASSERT_TRUE(child.why.empty()) << child.why;
    status = child.status;
    hint = child.hint;
  }
  EXPECT_EQ(status, static_cast<int>(ProbeReport::Status::kPermissionDenied));
  EXPECT_EQ(
      hint,
      "reading MSRs needs root (CAP_SYS_RAWIO): run jouletrace as root, or have the node agent "
      "run (`jouletrace agent`, docs/AGENT.md), which jouletrace then asks without being "
      "told");
}

}  // namespace
}  // namespace jt
