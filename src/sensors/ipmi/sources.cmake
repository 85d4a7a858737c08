# SPDX-License-Identifier: BSD-3-Clause
# IPMI DCMI whole-node meter: the OpenIPMI device transport, response parser, sensor, probe. The
# replay transport that feeds it recorded answers is a test aid (tests/support).
target_sources(jouletrace_bmc PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/dcmi_response.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dcmi_sensor.cpp
  ${CMAKE_CURRENT_LIST_DIR}/open_ipmi_transport.cpp)
target_compile_definitions(jouletrace_bmc PUBLIC JOULETRACE_HAVE_IPMI)
