# Forward=yes (agent/act/forward*.c): udev records and libudev events in real
# privileged and user-namespaced test containers, checked with the host's
# udevadm running inside them. Root only.
add_executable(test-act-forward ${CMAKE_CURRENT_LIST_DIR}/act-forward.c)
target_link_libraries(test-act-forward PRIVATE dpt-ctr-util)
add_test(NAME privileged-act-forward
         COMMAND test-act-forward ${CMAKE_BINARY_DIR}/tests/harness/dp-testctr)
set_tests_properties(privileged-act-forward PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "privileged" TIMEOUT 240)
