add_executable(test-act-net-restore ${CMAKE_CURRENT_LIST_DIR}/act-net-restore.c)
target_link_libraries(test-act-net-restore PRIVATE devpass-act PkgConfig::CMOCKA)
add_test(NAME privileged-act-net-restore COMMAND test-act-net-restore)
set_tests_properties(privileged-act-net-restore PROPERTIES
  LABELS "privileged" TIMEOUT 60 SKIP_RETURN_CODE 77)

add_executable(test-act-net-module ${CMAKE_CURRENT_LIST_DIR}/act-net-module.c)
target_link_libraries(test-act-net-module PRIVATE devpass-act PkgConfig::CMOCKA)
add_test(NAME privileged-act-net-module
         COMMAND test-act-net-module $<TARGET_FILE:devpass-net>)
set_tests_properties(privileged-act-net-module PROPERTIES
  LABELS "privileged" TIMEOUT 30 SKIP_RETURN_CODE 77)
