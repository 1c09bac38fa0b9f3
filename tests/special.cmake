# Checks that are not a plain native-vs-preloaded comparison.
set(CHECKS ${CMAKE_CURRENT_SOURCE_DIR}/checks)

add_test(NAME check/exports COMMAND ${CHECKS}/exports.sh ${GMP_LIB} ${CMAKE_SOURCE_DIR})

foreach(prog many_threads parked_everywhere)
  if(TARGET prog_${prog})
    add_test(NAME check/kernel-threads/${prog}
      COMMAND ${CHECKS}/threads.sh ${GMP_LIB} $<TARGET_FILE:prog_${prog}>)
    set_tests_properties(check/kernel-threads/${prog} PROPERTIES TIMEOUT 300)
  endif()
endforeach()

# python3's threading (its GIL is a mutex + CLOCK_MONOTONIC condvar, its locks
# are semaphores): same output natively and preloaded.
find_program(PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(PYTHON3 AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/programs/py_threading.py)
  foreach(procs 1 2 4)
    add_test(NAME program/py_threading/P${procs}
      COMMAND ${GMP_COMPARE} ${GMP_LIB} ${procs} ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/programs/py_threading.py)
    set_tests_properties(program/py_threading/P${procs} PROPERTIES TIMEOUT 300)
  endforeach()
endif()

# Tier 1: doctest unit tests, linked against the runtime sources directly.
find_path(DOCTEST_INCLUDE doctest/doctest.h)
if(DOCTEST_INCLUDE)
  file(GLOB UNIT_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/runtime/*_test.cpp)
  file(GLOB RUNTIME_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/runtime/*.cpp)
  add_executable(runtime_tests ${UNIT_SOURCES} ${RUNTIME_SOURCES} ${CMAKE_SOURCE_DIR}/preload/real.cpp)
  target_include_directories(runtime_tests PRIVATE ${CMAKE_SOURCE_DIR} ${BOOST_CONTEXT_INCLUDE} ${DOCTEST_INCLUDE})
  target_compile_definitions(runtime_tests PRIVATE _GNU_SOURCE GMP_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  target_link_libraries(runtime_tests PRIVATE ${BOOST_CONTEXT_STATIC} pthread dl)
  add_test(NAME unit/runtime COMMAND runtime_tests)
endif()

# Bad settings: one clear line each, then a normal run.
if(TARGET prog_thread_storm)
  add_test(NAME check/bad-env COMMAND ${CHECKS}/bad_env.sh ${GMP_LIB} $<TARGET_FILE:prog_thread_storm>)
endif()

# The kernel-thread cap (GMP_MAX_THREADS) ends the program with one line.
if(TARGET prog_blocking_burst)
  add_test(NAME check/max-threads COMMAND ${CHECKS}/max_threads.sh ${GMP_LIB} $<TARGET_FILE:prog_blocking_burst>)
endif()

# --- netpoller -----------------------------------------------------------
# 2000 connections, every server thread blocked in read: few kernel threads.
if(TARGET prog_net_threads)
  add_test(NAME check/kernel-threads/net_threads
    COMMAND ${CHECKS}/threads.sh ${GMP_LIB} $<TARGET_FILE:prog_net_threads>)
  set_tests_properties(check/kernel-threads/net_threads PROPERTIES TIMEOUT 300)
endif()
# close()/dup2() wake blocked calls with EBADF: a documented deviation that
# hangs natively, so it runs preloaded only.
if(TARGET prog_net_close_wakes)
  add_test(NAME check/preload-only/net_close_wakes
    COMMAND ${CHECKS}/preload_only.sh ${GMP_LIB} $<TARGET_FILE:prog_net_close_wakes>)
  set_tests_properties(check/preload-only/net_close_wakes PROPERTIES TIMEOUT 300)
endif()
# Real servers preloaded, under load from clients that are not preloaded.
if(TARGET prog_echo_server AND TARGET bench_echo_load)
  add_test(NAME check/server/echo
    COMMAND ${CHECKS}/servers.sh echo ${GMP_LIB} $<TARGET_FILE:prog_echo_server> $<TARGET_FILE:bench_echo_load>)
endif()
if(TARGET prog_http_server)
  add_test(NAME check/server/http COMMAND ${CHECKS}/servers.sh http ${GMP_LIB} $<TARGET_FILE:prog_http_server>)
endif()
# python3 and iperf come from scripts/deps (run by scripts/test). A missing
# one makes a failing check that says so, rather than checks that quietly
# do not exist.
find_program(IPERF2 NAMES iperf)
foreach(need PYTHON3 IPERF2)
  if(NOT ${need})
    add_test(NAME check/missing/${need}
      COMMAND /bin/sh -c "echo '${need} was not found when cmake ran, so the checks that need it do not exist: run scripts/deps (or scripts/test) and configure again'; exit 1")
  endif()
endforeach()
if(PYTHON3)
  add_test(NAME check/server/python-http COMMAND ${CHECKS}/servers.sh python ${GMP_LIB} ${PYTHON3})
endif()
if(IPERF2 AND PYTHON3)
  add_test(NAME check/server/iperf COMMAND ${CHECKS}/servers.sh iperf ${GMP_LIB} ${IPERF2})
endif()
foreach(t echo http python-http iperf)
  if(TEST check/server/${t})
    set_tests_properties(check/server/${t} PROPERTIES TIMEOUT 180)
  endif()
endforeach()

# Observability (issue 6): G dumps, the deadlock report, GMP_STATS, gmprun
# and the install layout. The dump and deadlock programs are linked with
# -rdynamic so their function names are in the dynamic symbol table too (the
# dump also reads .symtab through libunwind when it is installed).
foreach(prog dump_parked deadlock_abba)
  if(TARGET prog_${prog})
    target_link_options(prog_${prog} PRIVATE -rdynamic)
  endif()
endforeach()
if(TARGET prog_dump_parked)
  add_test(NAME check/dump COMMAND ${CHECKS}/dump.sh ${GMP_LIB} $<TARGET_FILE:prog_dump_parked>)
endif()
if(TARGET prog_deadlock_abba AND TARGET prog_deadlock_none)
  add_test(NAME check/deadlock COMMAND ${CHECKS}/deadlock.sh ${GMP_LIB}
    $<TARGET_FILE:prog_deadlock_abba> $<TARGET_FILE:prog_deadlock_none>)
endif()
if(TARGET prog_stats_contend AND PYTHON3)
  add_test(NAME check/stats COMMAND ${CHECKS}/stats.sh ${GMP_LIB} $<TARGET_FILE:prog_stats_contend>)
  add_test(NAME check/gmprun COMMAND ${CHECKS}/gmprun.sh ${GMP_LIB} ${CMAKE_SOURCE_DIR}/scripts/gmprun
    $<TARGET_FILE:prog_stats_contend>)
  add_test(NAME check/install COMMAND ${CHECKS}/install.sh ${CMAKE_BINARY_DIR} $<TARGET_FILE:prog_stats_contend>)
endif()
foreach(t dump deadlock stats gmprun install)
  if(TEST check/${t})
    set_tests_properties(check/${t} PROPERTIES TIMEOUT 300)
  endif()
endforeach()
