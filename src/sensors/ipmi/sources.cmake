# IPMI DCMI whole-node meter: transports (OpenIPMI device, replay), response parser, sensor, probe.
target_sources(jouletrace_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/dcmi_response.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dcmi_sensor.cpp
  ${CMAKE_CURRENT_LIST_DIR}/open_ipmi_transport.cpp
  ${CMAKE_CURRENT_LIST_DIR}/replay_transport.cpp)
