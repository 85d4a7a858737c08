# SPDX-License-Identifier: BSD-3-Clause
# tests: node profile, calibration and the runtime estimate (issue 4).
jt_add_gtest(node_tests
  unit/node_inventory_test.cpp
  unit/node_profile_test.cpp
  unit/node_runtime_estimate_test.cpp
  LABELS unit)
target_compile_definitions(node_tests PRIVATE
  JT_TDP_FILE="${PROJECT_SOURCE_DIR}/data/tdp.json")

jt_add_gtest(node_e2e_tests
  e2e/node_e2e_test.cpp
  LABELS e2e
  SERIAL)
