# SPDX-License-Identifier: BSD-3-Clause
# tests: redfish. The backend against a loopback Redfish mock (tests/fakes/mock_bmc).
add_subdirectory(fakes/mock_bmc)
find_package(CURL REQUIRED)

jt_add_gtest(redfish_tests
  backend/redfish_json_test.cpp
  backend/redfish_sensor_test.cpp
  LABELS backend)
# The test side talks to the mock's control endpoints with libcurl too.
target_link_libraries(redfish_tests PRIVATE CURL::libcurl)
target_compile_definitions(redfish_tests PRIVATE JT_MOCK_BMC="$<TARGET_FILE:mock_bmc>")
add_dependencies(redfish_tests mock_bmc)

# `jouletrace sensors` and `jouletrace run` with --redfish-config, against the same mock.
jt_add_gtest(redfish_e2e_tests e2e/redfish_e2e_test.cpp LABELS e2e SERIAL)
target_link_libraries(redfish_e2e_tests PRIVATE CURL::libcurl)
target_compile_definitions(redfish_e2e_tests PRIVATE JT_MOCK_BMC="$<TARGET_FILE:mock_bmc>")
add_dependencies(redfish_e2e_tests mock_bmc)

# `jouletrace run` on nodes of known parts: waste, coverage, estimate, baselines, attribution.
jt_add_gtest(node_composition_e2e_tests e2e/node_composition_e2e_test.cpp LABELS e2e SERIAL)
target_link_libraries(node_composition_e2e_tests PRIVATE CURL::libcurl)
target_compile_definitions(node_composition_e2e_tests PRIVATE JT_MOCK_BMC="$<TARGET_FILE:mock_bmc>")
add_dependencies(node_composition_e2e_tests mock_bmc)
