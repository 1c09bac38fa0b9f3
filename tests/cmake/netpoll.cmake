# Netpoller checks that cannot be compared with a native run.

# close() racing with every step of a poll()/read() waiter, on fds the runtime
# saw created and on fds it only learns about on first use: no waiter may be
# left parked (natively such a waiter would wait forever, so preload only).
if(TARGET prog_net_close_race)
  add_test(NAME check/preload-only/net_close_race
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/checks/preload_only.sh ${GMP_LIB} $<TARGET_FILE:prog_net_close_race> 2000)
  set_tests_properties(check/preload-only/net_close_race PROPERTIES TIMEOUT 300)
endif()
