# SPDX-License-Identifier: BSD-3-Clause
# The marker benchmark (issue 3); included from bench/CMakeLists.txt.
if(NOT TARGET benchmark::benchmark)
  find_package(benchmark REQUIRED)
endif()
add_executable(marker_benchmark ${CMAKE_CURRENT_LIST_DIR}/marker_benchmark.cpp)
# jouletrace_api: the calls as a program makes them, through libjouletrace.so;
# jouletrace_api_core: the record formatter, which the library keeps hidden.
target_link_libraries(marker_benchmark PRIVATE
  jouletrace_api jouletrace_api_core benchmark::benchmark jouletrace_warnings)
target_compile_definitions(marker_benchmark PRIVATE
  JT_FIXTURE_DIR="${PROJECT_SOURCE_DIR}/tests/fixtures")
