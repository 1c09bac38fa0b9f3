# Signals, fork and exec (issue #7): python3's subprocess (vfork + exec),
# os.system, os.fork and signal handlers, natively and preloaded.
find_program(PYTHON3_SIG NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(PYTHON3_SIG)
  foreach(procs 1 2 4)
    add_test(NAME program/py_subprocess/P${procs}
      COMMAND ${GMP_COMPARE} ${GMP_LIB} ${procs} ${PYTHON3_SIG} ${CMAKE_CURRENT_SOURCE_DIR}/programs/py_subprocess.py)
    set_tests_properties(program/py_subprocess/P${procs} PROPERTIES TIMEOUT 300)
  endforeach()
endif()

# GMP_INHERIT: exec'd children keep the preload unless GMP_INHERIT=0.
if(TARGET prog_exec_inherit)
  add_test(NAME check/inherit COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/checks/inherit.sh ${GMP_LIB} $<TARGET_FILE:prog_exec_inherit>)
endif()
