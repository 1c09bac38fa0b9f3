# libgmp.so's SONAME is libgmp-green.so, not GNU MP's "libgmp.so": readelf
# shows it, and a preloaded program that dlopen()s GNU MP by either of its
# names gets GNU MP (tests/checks/soname.sh; the same program is also
# compared with native as program/dlopen_gnu_mp).
if(TARGET prog_dlopen_gnu_mp)
  add_test(NAME check/soname
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/checks/soname.sh ${GMP_LIB} $<TARGET_FILE:prog_dlopen_gnu_mp>)
endif()
