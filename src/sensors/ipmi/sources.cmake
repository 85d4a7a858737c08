target_sources(jouletrace_lib PRIVATE ${CMAKE_CURRENT_LIST_DIR}/dcmi_sensor.cpp)
