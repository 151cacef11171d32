# Forward=yes (agent/act/forward*.c): udev records and libudev events in real
# privileged and user-namespaced test containers, checked with the host's
# udevadm running inside them. Root only.
add_executable(test-act-forward ${CMAKE_CURRENT_LIST_DIR}/act-forward.c)
target_link_libraries(test-act-forward PRIVATE dpt-ctr-util)
add_test(NAME privileged-act-forward
         COMMAND test-act-forward ${CMAKE_BINARY_DIR}/tests/harness/dp-testctr)
set_tests_properties(privileged-act-forward PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "privileged" TIMEOUT 240)

# Forward=yes against FIFOs and device nodes planted where the udev view is
# read and written: each call must return within 2 s and the planted inode
# must never be opened (inotify). Root only.
add_executable(test-act-forward-hostile
               ${CMAKE_CURRENT_LIST_DIR}/act-forward-hostile.c)
target_link_libraries(test-act-forward-hostile PRIVATE dpt-ctr-util)
add_test(NAME privileged-act-forward-hostile
         COMMAND test-act-forward-hostile
                 ${CMAKE_BINARY_DIR}/tests/harness/dp-testctr)
set_tests_properties(privileged-act-forward-hostile PROPERTIES
                     SKIP_RETURN_CODE 77 LABELS "privileged" TIMEOUT 180)
