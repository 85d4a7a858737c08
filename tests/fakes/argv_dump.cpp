// SPDX-License-Identifier: BSD-3-Clause
// Prints its arguments, each followed by a NUL byte: what a measured command received, byte
// for byte.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) std::fwrite(argv[i], 1, std::strlen(argv[i]) + 1, stdout);
  return 0;
}
