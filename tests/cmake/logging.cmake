# GMP_LOG / GMP_LOG_FILE (issue #6): levels, the file, bad values, fork
# children, a program that closes the log's fd (tests/checks/logging.sh).
if(TARGET prog_blocking_burst AND TARGET prog_prefork_server AND TARGET prog_log_fd_reuse AND TARGET prog_stats_contend)
  add_test(NAME check/logging COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/checks/logging.sh ${GMP_LIB}
    $<TARGET_FILE:prog_blocking_burst> $<TARGET_FILE:prog_prefork_server>
    $<TARGET_FILE:prog_log_fd_reuse> $<TARGET_FILE:prog_stats_contend>)
  set_tests_properties(check/logging PROPERTIES TIMEOUT 300)
endif()
