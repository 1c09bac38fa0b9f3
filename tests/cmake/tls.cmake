# Per-G thread-local storage (issue 5): the glibc contract's checks that are
# more than a plain native-vs-preloaded comparison of one program.

# dlopen_tls loads a module with initial-exec TLS from its own directory.
if(TARGET prog_dlopen_tls)
  add_library(gmp_test_tlsmod SHARED ${CMAKE_CURRENT_SOURCE_DIR}/programs/helpers/tls_module.c)
  target_compile_options(gmp_test_tlsmod PRIVATE -O2 -ftls-model=initial-exec)
  set_target_properties(gmp_test_tlsmod PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/programs)
  add_dependencies(prog_dlopen_tls gmp_test_tlsmod)
  if(TARGET prog_dlopen_tls_fork)
    add_dependencies(prog_dlopen_tls_fork gmp_test_tlsmod)
  endif()
endif()

# A green thread's gettid() is above PID_MAX_LIMIT (preloaded only: a real
# thread's is not).
if(TARGET prog_tls_gettid)
  add_test(NAME check/preload-only/tls_gettid
    COMMAND ${CHECKS}/preload_only.sh ${GMP_LIB} /usr/bin/env GMP_TEST_GREEN_TID=1 $<TARGET_FILE:prog_tls_gettid>)
endif()

# Stale and foreign handles (undefined behaviour natively): ESRCH, no fault.
if(TARGET prog_tls_handles)
  add_test(NAME check/preload-only/tls_handles
    COMMAND ${CHECKS}/preload_only.sh ${GMP_LIB} $<TARGET_FILE:prog_tls_handles>)
endif()

# Another glibc version: one clear refusal (exit 2), and GMP_TLS=0 runs.
if(TARGET prog_mutex_counter)
  add_library(gmp_test_other_glibc SHARED ${CMAKE_CURRENT_SOURCE_DIR}/programs/helpers/other_glibc.c)
  set_target_properties(gmp_test_other_glibc PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/programs)
  add_test(NAME check/glibc-refused
    COMMAND ${CHECKS}/glibc_refused.sh ${GMP_LIB} $<TARGET_FILE:gmp_test_other_glibc> $<TARGET_FILE:prog_mutex_counter>)
endif()

# The FS-base switch without FSGSBASE (arch_prctl): the per-G TLS programs
# against native, with a preload that hides the CPU feature.
add_library(gmp_test_no_fsgsbase SHARED ${CMAKE_CURRENT_SOURCE_DIR}/programs/helpers/no_fsgsbase.c)
target_link_libraries(gmp_test_no_fsgsbase PRIVATE dl)
set_target_properties(gmp_test_no_fsgsbase PROPERTIES
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/programs)
foreach(name tls_follows tls_identity dlopen_tls signals_longjmp fork_threads)
  if(TARGET prog_${name})
    add_test(NAME check/arch-prctl/${name}
      COMMAND ${GMP_COMPARE} "$<TARGET_FILE:gmp_test_no_fsgsbase>:${GMP_LIB}" 2 $<TARGET_FILE:prog_${name}>)
    set_tests_properties(check/arch-prctl/${name} PROPERTIES TIMEOUT 180)
  endif()
endforeach()
