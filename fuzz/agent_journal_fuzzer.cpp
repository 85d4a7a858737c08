// SPDX-License-Identifier: BSD-3-Clause
// Fuzzes the node agent's journal read back after a restart (jt::agent::Journal::open): the
// input is the whole history.journal an earlier agent left in the state directory, torn by a
// kill, written for other channels or another step, from another boot, or not a journal at all.
//
// Invariants:
// - nothing crashes or throws, and a writable state directory always opens;
// - what is recovered is row_count rows of one value per current channel, at most max_rows of
//   them; rows are on this agent's step, the first on the step's grid;
// - the file open leaves behind opens again to the same rows, bit for bit.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "agent/journal.hpp"
#include "fuzz_check.hpp"

namespace {

using jt::agent::Journal;

constexpr std::int64_t kStepNs = 1'000'000'000;
constexpr std::size_t kMaxRows = 32;

const std::vector<std::string>& channel_ids() {
  static const std::vector<std::string> ids = {"powercap/intel-rapl:0", "nvml/GPU-0", "hwmon/node"};
  return ids;
}

// One state directory per process; the journal in it is rewritten for every input.
const std::filesystem::path& state_dir() {
  static const std::filesystem::path dir = [] {
    std::string templ =
        (std::filesystem::temp_directory_path() / "jt-fuzz-journal-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) std::abort();
    return std::filesystem::path(templ);
  }();
  return dir;
}

void write_journal(std::string_view bytes) {
  std::ofstream out(state_dir() / "history.journal", std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) std::abort();
}

Journal open_journal() {
  try {
    auto journal = Journal::open(state_dir(), channel_ids(), kStepNs, kMaxRows);
    JT_FUZZ_CHECK(journal.has_value());
    return std::move(*journal);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "invariant failed: Journal::open threw: %s\n", e.what());
    std::abort();
  }
}

void check_rows(const Journal::Rows& rows) {
  JT_FUZZ_CHECK(rows.row_count <= kMaxRows);
  JT_FUZZ_CHECK(rows.values.size() == rows.row_count * channel_ids().size());
  if (rows.row_count > 0) {
    JT_FUZZ_CHECK(rows.step_ns == kStepNs);
    JT_FUZZ_CHECK(rows.first_t_ns % kStepNs == 0);
  }
}

bool same_rows(const Journal::Rows& a, const Journal::Rows& b) {
  if (a.row_count != b.row_count || a.values.size() != b.values.size()) return false;
  if (a.row_count > 0 && a.first_t_ns != b.first_t_ns) return false;
  // Bit for bit: NaN (no value) must come back as NaN.
  return a.values.empty() ||
         std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(double)) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::atexit([] { std::filesystem::remove_all(state_dir()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  write_journal(std::string_view(reinterpret_cast<const char*>(data), size));
  const Journal first = open_journal();
  check_rows(first.recovered());
  const Journal again = open_journal();
  check_rows(again.recovered());
  JT_FUZZ_CHECK(same_rows(first.recovered(), again.recovered()));
  return 0;
}
