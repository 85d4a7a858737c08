# SPDX-License-Identifier: BSD-3-Clause
# How other projects find an installed jouletrace (docs/INSTALL.md): a CMake package exporting
# jouletrace::jouletrace and a pkg-config file, both for libjouletrace.so (src/api). All in the
# install component `library` with the library and its headers, so that
# `cmake --install BUILD --component library` gives a program's build what it needs, alone.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(JT_CMAKE_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/jouletrace)
install(EXPORT jouletraceTargets NAMESPACE jouletrace:: DESTINATION ${JT_CMAKE_PACKAGE_DIR}
  COMPONENT library)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/jouletraceConfig.cmake.in
  ${PROJECT_BINARY_DIR}/jouletraceConfig.cmake INSTALL_DESTINATION ${JT_CMAKE_PACKAGE_DIR})
# Before 1.0 a minor release may change the API, so only the same 0.MINOR satisfies a request.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/jouletraceConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/jouletraceConfig.cmake
  ${PROJECT_BINARY_DIR}/jouletraceConfigVersion.cmake DESTINATION ${JT_CMAKE_PACKAGE_DIR}
  COMPONENT library)

# The prefix is the one installed to, known only at install time: `cmake --install --prefix P`
# and CPack's /usr both differ from the configured CMAKE_INSTALL_PREFIX.
set(JT_PC_TEMPLATE ${PROJECT_BINARY_DIR}/jouletrace.pc.template)
set(JT_PC_PREFIX "@JT_PC_PREFIX@")  # kept for the second, install-time configure_file
configure_file(${PROJECT_SOURCE_DIR}/packaging/pkgconfig/jouletrace.pc.in ${JT_PC_TEMPLATE} @ONLY)
install(CODE "set(JT_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${JT_PC_TEMPLATE}\" \"${PROJECT_BINARY_DIR}/jouletrace.pc\" @ONLY)"
  COMPONENT library)
install(FILES ${PROJECT_BINARY_DIR}/jouletrace.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT library)
