# The manual pages and FORMAT.md against --help and the policy key table;
# the bash completion against --help and stub runtimes.
add_test(NAME cli-docs-check
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/docs-check.sh
                 $<TARGET_FILE:devpassd> $<TARGET_FILE:devpassctl>
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(cli-docs-check PROPERTIES LABELS "cli" TIMEOUT 60)
add_test(NAME cli-completion
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/completion.sh
                 ${CMAKE_SOURCE_DIR}/data/bash-completion/devpassctl
                 $<TARGET_FILE:devpassctl> $<TARGET_FILE:devpassd>)
set_tests_properties(cli-completion PROPERTIES LABELS "cli" TIMEOUT 60
                     SKIP_RETURN_CODE 77)
