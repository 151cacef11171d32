# Self-test of the container launcher (tests/harness/dp-testctr) and of the
# shell library tests/harness/lib.sh. Root only; runs against the real
# kernel, LXC included.
add_test(NAME harness-selftest
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/harness-selftest.sh
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR})
set_tests_properties(harness-selftest PROPERTIES
                     SKIP_RETURN_CODE 77 LABELS "privileged" TIMEOUT 300
                     ENVIRONMENT "DPT_HARNESS=$<TARGET_FILE:dp-testctr>")
