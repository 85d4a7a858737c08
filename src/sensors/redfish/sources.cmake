# The Redfish node-meter backend: HTTPS through libcurl (Debian libcurl4-openssl-dev).
find_package(CURL REQUIRED)
target_sources(jouletrace_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/redfish_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/redfish_json.cpp
  ${CMAKE_CURRENT_LIST_DIR}/redfish_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/redfish_sensor.cpp)
target_link_libraries(jouletrace_lib PRIVATE CURL::libcurl)
