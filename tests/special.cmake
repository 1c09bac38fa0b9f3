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
