# SPDX-License-Identifier: BSD-3-Clause
# tests: the job store (docs/STORE.md). These binaries link only the store and GoogleTest, not
# jouletrace_test_support (jt_add_gtest): they need neither the CLI nor the fake sensors, so
# they build without the whole tree.

# jt_add_store_gtest(name LABELS label... [SERIAL] SOURCES source...)
function(jt_add_store_gtest name)
  cmake_parse_arguments(ARG "SERIAL" "" "LABELS;SOURCES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE jouletrace_store GTest::gtest_main jouletrace_warnings)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 30
    PROPERTIES TIMEOUT 300 RUN_SERIAL ${ARG_SERIAL})
  jt_label_discovered_tests(${name} "${ARG_LABELS}")
endfunction()

jt_add_store_gtest(store_unit_tests LABELS unit
  SOURCES store/job_record_test.cpp store/job_summary_test.cpp)

# The same typed suite against each database: SQLite in a temporary file, and a PostgreSQL 15
# server the suite starts itself (skipped, saying why, where its binaries are missing).
find_package(SQLite3 REQUIRED)
jt_add_store_gtest(store_sqlite_tests LABELS store SOURCES store/job_store_test.cpp)
target_compile_definitions(store_sqlite_tests PRIVATE JT_STORE_BACKEND=SqliteBackend)
jt_add_store_gtest(store_postgresql_tests LABELS store postgresql SERIAL
  SOURCES store/job_store_test.cpp)
target_compile_definitions(store_postgresql_tests PRIVATE JT_STORE_BACKEND=PostgresBackend)
foreach(target store_sqlite_tests store_postgresql_tests)
  target_link_libraries(${target} PRIVATE SQLite::SQLite3 PkgConfig::LIBPQXX)
endforeach()
