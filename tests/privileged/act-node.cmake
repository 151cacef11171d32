# Device node injection into real privileged and user-namespaced test
# containers (agent/act/node*.c). Root only.
add_executable(test-act-node ${CMAKE_CURRENT_LIST_DIR}/act-node.c)
target_link_libraries(test-act-node PRIVATE dpt-ctr-util)
add_test(NAME privileged-act-node
         COMMAND test-act-node ${CMAKE_BINARY_DIR}/tests/harness/dp-testctr)
set_tests_properties(privileged-act-node PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "privileged" TIMEOUT 300)

# The same against a real LXC container, through a small CLI.
add_executable(dpt-act ${CMAKE_CURRENT_LIST_DIR}/act-node-cli.c)
target_link_libraries(dpt-act PRIVATE devpass-act)
add_test(NAME privileged-act-node-lxc
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/act-node-lxc.sh
                 $<TARGET_FILE:dpt-act>)
set_tests_properties(privileged-act-node-lxc PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "privileged" TIMEOUT 180
                     ENVIRONMENT "BUILD_DIR=${CMAKE_BINARY_DIR}")

# The window between mkdirat() and chown of a directory made inside a
# container, opened deterministically by wrapping mkdirat(): a mount over
# the new name or a swapped directory is never chowned. Root only.
add_executable(test-act-mkdir-race ${CMAKE_CURRENT_LIST_DIR}/act-mkdir-race.c)
target_include_directories(test-act-mkdir-race PRIVATE
                           ${CMAKE_SOURCE_DIR}/agent/act)
target_link_libraries(test-act-mkdir-race PRIVATE devpass-act
                      PkgConfig::CMOCKA)
target_link_options(test-act-mkdir-race PRIVATE -Wl,--wrap=mkdirat)
add_test(NAME privileged-act-mkdir-race COMMAND test-act-mkdir-race)
set_tests_properties(privileged-act-mkdir-race PROPERTIES
                     SKIP_RETURN_CODE 77 LABELS "privileged" TIMEOUT 30)
