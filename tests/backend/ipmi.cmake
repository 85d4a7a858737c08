# SPDX-License-Identifier: BSD-3-Clause
# tests: ipmi (DCMI node meter over replayed BMC responses; no BMC needed)
jt_add_gtest(ipmi_tests
  ${CMAKE_CURRENT_LIST_DIR}/dcmi_response_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dcmi_transport_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dcmi_sensor_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../support/ipmi_replay_transport.cpp
  LABELS backend)
