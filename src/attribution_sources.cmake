# Shared-node attribution (issue 4).
target_sources(jouletrace_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/sensors/cgroup_usage.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ledger/attribution.cpp
  ${CMAKE_CURRENT_LIST_DIR}/report/attribution_text.cpp
)
