# SPDX-License-Identifier: BSD-3-Clause
# The layers of docs/ARCHITECTURE.md, checked: no source includes from above its layer, and the
# library inside users' training processes loads no network or TLS stack.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME layering_includes
  COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/layering/check_includes.py
    ${PROJECT_SOURCE_DIR}/src)
set(JT_NETWORK_LIBRARIES "libcurl" "libssl" "libcrypto" "libgnutls" "libnettle" "libgssapi"
  "libkrb5" "libldap" "libnghttp2" "libssh2" "librtmp" "libpsl")
add_test(NAME layering_api_loads_no_network_stack
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/layering/check_needed.sh $<TARGET_FILE:jouletrace_api>
    forbid ${JT_NETWORK_LIBRARIES})
set_tests_properties(layering_includes layering_api_loads_no_network_stack PROPERTIES LABELS unit)
if(JOULETRACE_WITH_REDFISH)
  # The control: the same check sees libcurl where it is linked.
  add_test(NAME layering_cli_loads_libcurl
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/layering/check_needed.sh $<TARGET_FILE:jouletrace>
      require libcurl)
  set_tests_properties(layering_cli_loads_libcurl PROPERTIES LABELS unit)
endif()

# The repository stands alone: no comment or document cites notes kept outside it.
add_test(NAME repository_self_contained
  COMMAND ${PROJECT_SOURCE_DIR}/scripts/check_self_contained.sh
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(repository_self_contained PROPERTIES LABELS unit SKIP_RETURN_CODE 77)

# Every source file names its licence (LICENSE, docs/INSTALL.md "Licence").
add_test(NAME repository_spdx_headers
  COMMAND ${PROJECT_SOURCE_DIR}/scripts/check_spdx.sh
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(repository_spdx_headers PROPERTIES LABELS unit SKIP_RETURN_CODE 77)
