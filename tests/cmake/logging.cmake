# GMP_LOG / GMP_LOG_FILE (issue #6).
if(TARGET prog_blocking_burst)
  add_test(NAME check/logging COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/checks/logging.sh ${GMP_LIB} $<TARGET_FILE:prog_blocking_burst>)
endif()
