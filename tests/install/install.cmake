# tests: installing jouletrace (issue 15, docs/INSTALL.md). What a user of an installed prefix
# sees: the CMake package, the pkg-config file and the headers, from programs outside this tree.

# `cmake --install --component library` of this build into a temporary prefix.
add_test(NAME install_consumers_cmake_and_pkg_config
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/install/consumers_test.sh ${CMAKE_BINARY_DIR}
    ${CMAKE_CURRENT_SOURCE_DIR}/install/consumer ${CMAKE_COMMAND} ${CMAKE_C_COMPILER})
set_tests_properties(install_consumers_cmake_and_pkg_config PROPERTIES
  LABELS install SKIP_RETURN_CODE 77 TIMEOUT 300)
find_program(JT_SHELLCHECK shellcheck)
if(JT_SHELLCHECK)
  add_test(NAME install_scripts_shellcheck
    COMMAND ${JT_SHELLCHECK} ${CMAKE_CURRENT_SOURCE_DIR}/install/consumers_test.sh)
  set_tests_properties(install_scripts_shellcheck PROPERTIES LABELS "install;unit")
endif()

