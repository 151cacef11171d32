add_test(NAME unit-cli-policy-check
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli-policy-check.sh
                 $<TARGET_FILE:devpassctl> ${CMAKE_SOURCE_DIR}/policy/examples)
set_tests_properties(unit-cli-policy-check PROPERTIES LABELS "cli" TIMEOUT 60)
