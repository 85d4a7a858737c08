// SPDX-License-Identifier: BSD-3-Clause
// The C consumer compiled as C++ (see CMakeLists.txt).
#include "consumer.c"
