# SPDX-License-Identifier: BSD-3-Clause
# tests: attribution
jt_add_gtest(attribution_tests
  unit/attribution_cgroup_test.cpp
  unit/attribution_policy_test.cpp
  unit/attribution_report_test.cpp
  LABELS unit)
