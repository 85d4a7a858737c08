// SPDX-License-Identifier: BSD-3-Clause
// agent_journal_fill: gives a node agent a day of history before it starts (issue 12: query
// latency over 24 h and the agent's memory once the history is full), by replacing the journal
// an earlier agent left in STATE_DIR with ROWS coarse rows that end now, on the same channels.
// Each channel draws a constant power (10 W plus 1 W per channel index), so an answer over the
// rows can be checked by hand.
//
//   agent_journal_fill STATE_DIR [ROWS=86400] [STEP_S=1]
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agent/journal.hpp"
#include "core/clock.hpp"

namespace {

// The channel ids of the journal's text header (src/agent/journal.cpp).
std::vector<std::string> channels_of(const std::filesystem::path& journal) {
  std::ifstream in(journal, std::ios::binary);
  std::string line;
  std::vector<std::string> ids;
  std::size_t count = 0;
  while (std::getline(in, line) && line.rfind("channels ", 0) != 0) {
  }
  if (!in) return ids;
  count = std::stoul(line.substr(9));
  while (ids.size() < count && std::getline(in, line)) ids.push_back(line);
  return ids;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: agent_journal_fill STATE_DIR [ROWS=86400] [STEP_S=1]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const std::size_t rows = argc > 2 ? std::stoul(argv[2]) : 86400;
  const std::int64_t step_ns = (argc > 3 ? std::stoll(argv[3]) : 1) * 1'000'000'000;
  const auto ids = channels_of(dir / "history.journal");
  if (ids.empty()) {
    fmt::print(stderr, "agent_journal_fill: no journal with channels in {}: run the agent once\n",
               dir.string());
    return 1;
  }
  std::filesystem::remove(dir / "history.journal");
  auto journal = jt::agent::Journal::open(dir, ids, step_ns, rows + 1);
  if (!journal) {
    fmt::print(stderr, "agent_journal_fill: {}\n", journal.error().message);
    return 1;
  }
  // On this boot's clock: before the host has been up a day the first rows lie before the
  // boot, as the rows of a previous boot do after a reboot.
  const std::int64_t end_ns = jt::monotonic_ns() / step_ns * step_ns;
  const std::int64_t first_ns = end_ns - static_cast<std::int64_t>(rows - 1) * step_ns;
  std::vector<double> row(ids.size());
  for (std::size_t r = 0; r < rows; ++r) {
    const double elapsed_s = static_cast<double>(r) * static_cast<double>(step_ns) / 1e9;
    for (std::size_t c = 0; c < row.size(); ++c) {
      row[c] = (10.0 + static_cast<double>(c)) * elapsed_s;
    }
    if (auto ok = journal->append(first_ns + static_cast<std::int64_t>(r) * step_ns, row); !ok) {
      fmt::print(stderr, "agent_journal_fill: {}\n", ok.error().message);
      return 1;
    }
  }
  fmt::print("{} rows of {} channels, {} s apart, ending at {} ns (CLOCK_MONOTONIC)\n", rows,
             ids.size(), step_ns / 1'000'000'000, end_ns);
  return 0;
}
