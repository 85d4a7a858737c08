# Node profile, calibration and the runtime estimate (issue 4).
target_sources(jouletrace_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/sensors/node_inventory.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ledger/node_profile.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ledger/runtime_estimate.cpp
  ${CMAKE_CURRENT_LIST_DIR}/report/estimate_text.cpp)

# A build that was not installed still finds the rated-power data in the source tree.
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/ledger/runtime_estimate.cpp PROPERTIES
  COMPILE_DEFINITIONS "JOULETRACE_SOURCE_TDP_FILE=\"${PROJECT_SOURCE_DIR}/data/tdp.json\"")

install(FILES ${PROJECT_SOURCE_DIR}/data/tdp.json DESTINATION share/jouletrace)
