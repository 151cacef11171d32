# Open-descriptor holders (agent/act/holders.c) hiding in nested pid
# namespaces of a real container. Root only.
add_executable(test-act-holders ${CMAKE_CURRENT_LIST_DIR}/act-holders.c)
target_include_directories(test-act-holders PRIVATE
                           ${CMAKE_SOURCE_DIR}/agent/act)
target_link_libraries(test-act-holders PRIVATE dpt-ctr-util)
add_test(NAME privileged-act-holders
         COMMAND test-act-holders ${CMAKE_BINARY_DIR}/tests/harness/dp-testctr)
set_tests_properties(privileged-act-holders PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "privileged" TIMEOUT 120)
