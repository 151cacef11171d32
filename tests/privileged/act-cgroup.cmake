# cgroup v1 device rules and v2 device programs against the real kernel.
foreach(_t act-cgroup-v1 act-cgroup-v2)
  add_executable(test-${_t} ${CMAKE_CURRENT_LIST_DIR}/${_t}.c
                 ${CMAKE_CURRENT_LIST_DIR}/act-cgroup-util.c)
  target_include_directories(test-${_t} PRIVATE
                             ${CMAKE_SOURCE_DIR}/agent/act)
  target_link_libraries(test-${_t} PRIVATE devpass-act PkgConfig::CMOCKA)
  add_test(NAME privileged-${_t} COMMAND test-${_t})
  set_tests_properties(privileged-${_t} PROPERTIES SKIP_RETURN_CODE 77
                       LABELS "privileged" TIMEOUT 300)
endforeach()

# The same against containers started by the test harness.
add_executable(test-act-cgroup-ctr ${CMAKE_CURRENT_LIST_DIR}/act-cgroup-ctr.c
               ${CMAKE_CURRENT_LIST_DIR}/act-cgroup-util.c)
target_include_directories(test-act-cgroup-ctr PRIVATE
                           ${CMAKE_SOURCE_DIR}/agent/act)
target_link_libraries(test-act-cgroup-ctr PRIVATE devpass-act
                      PkgConfig::CMOCKA)
add_dependencies(test-act-cgroup-ctr dp-testctr)
add_test(NAME privileged-act-cgroup-ctr
         COMMAND test-act-cgroup-ctr $<TARGET_FILE:dp-testctr>)
set_tests_properties(privileged-act-cgroup-ctr PROPERTIES
                     SKIP_RETURN_CODE 77 LABELS "privileged" TIMEOUT 300)
