# A hostile container against node injection: symlink/directory swaps at
# the target racing thousands of attaches, magic links, FIFOs, sockets and
# /dev as a relative symlink, privileged and user-namespaced. Root only.
add_executable(test-hostile-node ${CMAKE_CURRENT_LIST_DIR}/hostile-node.c)
target_link_libraries(test-hostile-node PRIVATE devpass-core)
if(TARGET dp-testctr)
  add_dependencies(test-hostile-node dp-testctr)
endif()
add_test(NAME privileged-hostile-node
         COMMAND test-hostile-node ${CMAKE_BINARY_DIR}/tests/harness/dp-testctr
                 5000)
set_tests_properties(privileged-hostile-node PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "privileged" TIMEOUT 120)

# The hostile side of the devpassd hardening tests (tests/e2e/hardening.cmake).
add_executable(dpt-hostile ${CMAKE_CURRENT_LIST_DIR}/hostile-tool.c)
set_target_properties(dpt-hostile PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/privileged)
