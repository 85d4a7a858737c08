target_sources(jouletrace_lib PRIVATE ${CMAKE_CURRENT_LIST_DIR}/redfish_sensor.cpp)
