add_executable(test-act-net-restore ${CMAKE_CURRENT_LIST_DIR}/act-net-restore.c)
target_link_libraries(test-act-net-restore PRIVATE devpass-act PkgConfig::CMOCKA)
add_test(NAME privileged-act-net-restore COMMAND test-act-net-restore)
set_tests_properties(privileged-act-net-restore PROPERTIES
  LABELS "privileged" TIMEOUT 60 SKIP_RETURN_CODE 77)
