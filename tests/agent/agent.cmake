# SPDX-License-Identifier: BSD-3-Clause
# tests: the node agent's Prometheus exporter (issue 12). The HTTP client is the test's own
# (libcurl); the agent links none.
find_package(CURL REQUIRED)

jt_add_gtest(agent_metrics_tests agent/metrics_exporter_test.cpp LABELS agent)
target_link_libraries(agent_metrics_tests PRIVATE jouletrace_agent_metrics CURL::libcurl)
target_compile_definitions(agent_metrics_tests PRIVATE JT_PROMTOOL="/usr/bin/promtool")

# A real Prometheus server scrapes the exporter: a service test, alone on the machine because it
# times the counter's rise.
jt_add_gtest(agent_prometheus_tests agent/prometheus_scrape_test.cpp LABELS agent service SERIAL)
target_link_libraries(agent_prometheus_tests PRIVATE jouletrace_agent_metrics CURL::libcurl)
target_compile_definitions(agent_prometheus_tests PRIVATE JT_PROMETHEUS="/usr/bin/prometheus")

# The agent's history, journal, access policy and protocol, in process.
jt_add_gtest(agent_unit_tests agent/history_test.cpp agent/agent_service_test.cpp
  agent/socket_server_test.cpp agent/agent_steps_test.cpp agent/store_worker_test.cpp
  LABELS agent)
target_link_libraries(agent_unit_tests PRIVATE jouletrace_agent)

# The real agent as root, its clients as two unprivileged users (skipped when not root).
jt_add_gtest(agent_e2e_tests agent/agent_e2e_test.cpp LABELS agent e2e SERIAL)
target_link_libraries(agent_e2e_tests PRIVATE CURL::libcurl)
target_compile_definitions(agent_e2e_tests PRIVATE JT_PROMETHEUS="/usr/bin/prometheus"
  JT_PYTHON_DIR="${CMAKE_BINARY_DIR}/python")
if(JOULETRACE_WITH_REDFISH)
  target_compile_definitions(agent_e2e_tests PRIVATE JT_MOCK_BMC="$<TARGET_FILE:mock_bmc>")
  add_dependencies(agent_e2e_tests mock_bmc)
endif()

# The shipped systemd unit passes systemd's own check, pointed at the binary just built
# (scripts/install-deps.sh installs systemd for systemd-analyze; no systemd needs to run).
find_program(JT_SYSTEMD_ANALYZE systemd-analyze)
if(NOT JT_SYSTEMD_ANALYZE)
  message(WARNING "systemd-analyze not found: the agent's unit file is not checked (apt-get install systemd)")
else()
  set(JOULETRACE_AGENT_BINARY "$<TARGET_FILE:jouletrace>")
  configure_file(${PROJECT_SOURCE_DIR}/packaging/systemd/jouletrace-agent.service.in
    ${CMAKE_CURRENT_BINARY_DIR}/unit/jouletrace-agent.service.genex @ONLY)
  file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/unit/jouletrace-agent.service
    INPUT ${CMAKE_CURRENT_BINARY_DIR}/unit/jouletrace-agent.service.genex)
  add_test(NAME agent_systemd_unit_verifies
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/agent/verify_unit.sh ${JT_SYSTEMD_ANALYZE}
      ${CMAKE_CURRENT_BINARY_DIR}/unit/jouletrace-agent.service)
  set_tests_properties(agent_systemd_unit_verifies PROPERTIES LABELS "agent;unit")
endif()
