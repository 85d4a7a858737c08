# SPDX-License-Identifier: BSD-3-Clause
# tests: Slurm integration (issue 13). The shipped EpilogSlurmctld runs under a real, throw-away
# Slurm that tests/slurm/slurm_cluster.sh starts (munged, mariadbd, slurmdbd, slurmctld, slurmd,
# all under a temporary directory). Needs root and Debian's slurmctld slurmd slurm-client
# slurmdbd munge mariadb-server; without them the test is not registered, visibly.

set(JT_EPILOG_SLURMCTLD ${PROJECT_SOURCE_DIR}/packaging/slurm/jouletrace-epilog-slurmctld)

# The epilog is POSIX sh (slurmctld runs it with whatever /bin/sh is): parsed by sh -n always,
# and linted by shellcheck where installed.
add_test(NAME slurm_epilog_sh_parses COMMAND sh -n ${JT_EPILOG_SLURMCTLD})
set_tests_properties(slurm_epilog_sh_parses PROPERTIES LABELS "slurm;unit")
find_program(JT_SHELLCHECK shellcheck)
if(JT_SHELLCHECK)
  add_test(NAME slurm_scripts_shellcheck
    COMMAND ${JT_SHELLCHECK} -s sh ${JT_EPILOG_SLURMCTLD})
  add_test(NAME slurm_harness_shellcheck
    COMMAND ${JT_SHELLCHECK} -e SC2094 ${CMAKE_CURRENT_SOURCE_DIR}/slurm/slurm_cluster.sh
      ${CMAKE_CURRENT_SOURCE_DIR}/slurm/epilog_slurmctld_test.sh
      ${CMAKE_CURRENT_SOURCE_DIR}/slurm/two_nodes_test.sh
      ${CMAKE_CURRENT_SOURCE_DIR}/slurm/jobs_e2e_test.sh)
  set_tests_properties(slurm_scripts_shellcheck slurm_harness_shellcheck
    PROPERTIES LABELS "slurm;unit")
else()
  message(STATUS "shellcheck not found: the Slurm scripts are only parsed (sh -n), not linted")
endif()

set(jt_slurm_missing "")
foreach(prog slurmctld slurmd slurmdbd sacctmgr sacct sbatch munged mungekey mariadbd
    mariadb-install-db)
  find_program(JT_SLURM_PROG_${prog} ${prog} PATHS /usr/sbin /usr/bin NO_CACHE)
  if(NOT JT_SLURM_PROG_${prog})
    list(APPEND jt_slurm_missing ${prog})
  endif()
endforeach()
if(jt_slurm_missing)
  message(STATUS "Slurm integration tests skipped: ${jt_slurm_missing} not found "
    "(apt-get install slurmctld slurmd slurm-client slurmdbd munge mariadb-server)")
  return()
endif()

# Alone on the machine: it starts five daemons and waits on their timers; and two real clusters
# at once would fight over the test users' accounting records. Exit 77 (not root) is a skip.
add_test(NAME slurm_epilog_slurmctld_sets_admin_comment
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/slurm/epilog_slurmctld_test.sh ${JT_EPILOG_SLURMCTLD}
    ${CMAKE_CURRENT_SOURCE_DIR}/slurm/slurm_cluster.sh)
set_tests_properties(slurm_epilog_slurmctld_sets_admin_comment PROPERTIES
  LABELS "slurm;e2e" RUN_SERIAL TRUE SKIP_RETURN_CODE 77 TIMEOUT 300)

# The harness's second node (a slurmd in its own UTS and network namespace): srun -N2 spans both,
# and stop leaves no daemon or veth behind. Exit 77 where namespaces cannot be made.
add_test(NAME slurm_harness_two_nodes
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/slurm/two_nodes_test.sh
    ${CMAKE_CURRENT_SOURCE_DIR}/slurm/slurm_cluster.sh)
set_tests_properties(slurm_harness_two_nodes PROPERTIES
  LABELS "slurm;e2e" RUN_SERIAL TRUE SKIP_RETURN_CODE 77 TIMEOUT 300)

# Energy of real jobs end to end (docs/SLURM.md): the plugin, one agent per node on live fixture
# trees, PostgreSQL 15 as the site's store, the epilog; two users, a shared node, two nodes.
if(TARGET jouletrace_spank)
  add_test(NAME slurm_jobs_end_to_end
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/slurm/jobs_e2e_test.sh
      ${CMAKE_CURRENT_SOURCE_DIR}/slurm/slurm_cluster.sh $<TARGET_FILE:jouletrace>
      $<TARGET_FILE:jouletrace_spank> $<TARGET_FILE:live_rapl_writer>
      ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/sysfs/intel-2s ${CMAKE_BINARY_DIR}/python
      ${JT_EPILOG_SLURMCTLD} $<TARGET_FILE:fake_nvml>)
  set_tests_properties(slurm_jobs_end_to_end PROPERTIES
    LABELS "slurm;e2e" RUN_SERIAL TRUE SKIP_RETURN_CODE 77 TIMEOUT 400)
endif()
