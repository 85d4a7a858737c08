// SPDX-License-Identifier: BSD-3-Clause
// Burns a fixed amount of CPU (no I/O, no allocation) so that its run time shows only the
// interference of whatever runs beside it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  const std::uint64_t rounds = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000'000ULL;
  std::uint64_t x = 88172645463325252ULL;
  for (std::uint64_t i = 0; i < rounds; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  std::printf("%llu\n", static_cast<unsigned long long>(x & 0xff));
  return 0;
}
