# SPDX-License-Identifier: BSD-3-Clause
# tests: installing jouletrace (issue 15, docs/INSTALL.md). What a user of an installed prefix
# sees: the CMake package, the pkg-config file and the headers, from programs outside this tree.

# `cmake --install --component library` of this build into a temporary prefix. In a sanitizer
# build (CMakePresets.json: asan, tsan) it skips: a program outside the build, without the
# sanitizer's runtime loaded first, cannot load the instrumented library.
string(FIND "${CMAKE_C_FLAGS} ${CMAKE_CXX_FLAGS}" "-fsanitize" jt_sanitizer_at)
if(jt_sanitizer_at EQUAL -1)
  set(jt_sanitized 0)
else()
  set(jt_sanitized 1)
endif()
add_test(NAME install_consumers_cmake_and_pkg_config
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/install/consumers_test.sh ${CMAKE_BINARY_DIR}
    ${CMAKE_CURRENT_SOURCE_DIR}/install/consumer ${CMAKE_COMMAND} ${CMAKE_C_COMPILER}
    ${jt_sanitized})
set_tests_properties(install_consumers_cmake_and_pkg_config PROPERTIES
  LABELS install SKIP_RETURN_CODE 77 TIMEOUT 300)
find_program(JT_SHELLCHECK shellcheck)
if(JT_SHELLCHECK)
  add_test(NAME install_scripts_shellcheck
    COMMAND ${JT_SHELLCHECK} ${CMAKE_CURRENT_SOURCE_DIR}/install/consumers_test.sh
      ${CMAKE_CURRENT_SOURCE_DIR}/install/man_pages_test.sh
      ${CMAKE_CURRENT_SOURCE_DIR}/install/bash_completion_test.sh
      ${CMAKE_CURRENT_SOURCE_DIR}/install/debian_package_test.sh
      ${CMAKE_CURRENT_SOURCE_DIR}/install/python_pip_test.sh
      ${PROJECT_SOURCE_DIR}/packaging/man/make_man_page.sh)
  set_tests_properties(install_scripts_shellcheck PROPERTIES LABELS "install;unit")
endif()

# Man pages and shell completions (apps/cli/CMakeLists.txt), as built for installation.
if(JOULETRACE_HELP2MAN)
  set(jt_help2man_found 1)
else()
  set(jt_help2man_found 0)
endif()
add_test(NAME install_man_pages_render
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/install/man_pages_test.sh ${CMAKE_BINARY_DIR}/apps/cli/man
    ${jt_help2man_found} ${JOULETRACE_VERBS})
add_test(NAME install_bash_completion_completes_verbs_and_options
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/install/bash_completion_test.sh
    ${CMAKE_BINARY_DIR}/apps/cli/completions/jouletrace)
set_tests_properties(install_man_pages_render install_bash_completion_completes_verbs_and_options
  PROPERTIES LABELS install SKIP_RETURN_CODE 77 TIMEOUT 60)
find_program(JT_ZSH zsh)
if(JT_ZSH)
  add_test(NAME install_zsh_completion_parses
    COMMAND ${JT_ZSH} -n ${CMAKE_BINARY_DIR}/apps/cli/completions/_jouletrace)
  set_tests_properties(install_zsh_completion_parses PROPERTIES LABELS install TIMEOUT 60)
else()
  message(STATUS "zsh not found: the zsh completion is generated but not parsed by a test")
endif()

# The Debian package (cmake/JouletracePackage.cmake): cpack -G DEB, dpkg -i, run, dpkg -r. Opt-in
# with JOULETRACE_PACKAGE_TESTS=1 since it installs into /usr; alone, since it changes the system
# every other test might use.
add_test(NAME install_debian_package_installs_runs_and_removes
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/install/debian_package_test.sh ${CMAKE_BINARY_DIR}
    ${CMAKE_CPACK_COMMAND})
set_tests_properties(install_debian_package_installs_runs_and_removes PROPERTIES
  LABELS install RUN_SERIAL TRUE SKIP_RETURN_CODE 77 TIMEOUT 300)

# pip install of the Python package (pyproject.toml, setup.py) into a venv, reusing this build.
# python/ is configured after tests/: the script skips when the module was not built. The
# interpreter is the module's, the cached one (python/CMakeLists.txt; empty on a first configure:
# the script takes /usr/bin/python3 as python/ does); here ${Python3_EXECUTABLE} is whatever an
# earlier find_package(Python3) in this directory found, pyenv's python3 as often as not.
add_test(NAME install_python_pip_venv
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/install/python_pip_test.sh ${PROJECT_SOURCE_DIR}
    ${CMAKE_BINARY_DIR} "$CACHE{Python3_EXECUTABLE}")
set_tests_properties(install_python_pip_venv PROPERTIES
  LABELS "install;python" SKIP_RETURN_CODE 77 TIMEOUT 300)
