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
