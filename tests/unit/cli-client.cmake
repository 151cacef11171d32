add_test(NAME unit-cli-client
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli-client.sh
                 $<TARGET_FILE:devpassctl> $<TARGET_FILE:devpassctl-local>
                 ${DEVPASSCTL_IS_STATIC} ${DEVPASSCTL_LOCAL_PATH}
                 ${CMAKE_SOURCE_DIR}/policy/examples $<TARGET_FILE:devpassd>)
set_tests_properties(unit-cli-client PROPERTIES LABELS "cli" TIMEOUT 60)
add_test(NAME unit-agent-libs
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/agent-libs.sh
                 $<TARGET_FILE:devpassd> $<TARGET_FILE:devpass-net>
                 $<TARGET_FILE:devpass-systemd>)
set_tests_properties(unit-agent-libs PROPERTIES LABELS "cli" TIMEOUT 30)
