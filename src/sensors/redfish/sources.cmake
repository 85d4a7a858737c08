# SPDX-License-Identifier: BSD-3-Clause
# The Redfish node-meter backend: HTTPS through libcurl (Debian libcurl4-openssl-dev).
find_package(CURL)
if(NOT CURL_FOUND)
  message(FATAL_ERROR "The Redfish backend needs libcurl (Debian: libcurl4-openssl-dev); "
                      "install it, or configure with -DJOULETRACE_WITH_REDFISH=OFF to build "
                      "without Redfish node meters.")
endif()
target_sources(jouletrace_bmc PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/redfish_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/redfish_json.cpp
  ${CMAKE_CURRENT_LIST_DIR}/redfish_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/redfish_sensor.cpp)
target_link_libraries(jouletrace_bmc PRIVATE CURL::libcurl)
target_compile_definitions(jouletrace_bmc PUBLIC JOULETRACE_HAVE_REDFISH)
