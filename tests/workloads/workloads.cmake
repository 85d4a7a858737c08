# SPDX-License-Identifier: BSD-3-Clause
# The bundled workloads (docs/WORKLOADS.md): their data library without LibTorch, everywhere;
# tiny runs of jouletrace-workload under `jouletrace run` where it is built.
find_package(ZLIB REQUIRED)  # the test writes gzip files itself
add_executable(workload_data_tests workloads/workload_data_test.cpp)
target_link_libraries(workload_data_tests PRIVATE jouletrace_workload_data GTest::gtest_main
  ZLIB::ZLIB jouletrace_warnings)
gtest_discover_tests(workload_data_tests DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 30
  PROPERTIES LABELS unit TIMEOUT 60)

if(JOULETRACE_BUILD_WORKLOADS)
  foreach(workload fashion-mnist unet3d)
    add_test(NAME workload_${workload}_tiny_run
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/workloads/workload_run.sh $<TARGET_FILE:jouletrace>
        $<TARGET_FILE:jouletrace_workload> ${CMAKE_CURRENT_SOURCE_DIR}/fixtures ${workload})
    set_tests_properties(workload_${workload}_tiny_run PROPERTIES LABELS e2e TIMEOUT 300
      SKIP_RETURN_CODE 77)
  endforeach()
endif()
