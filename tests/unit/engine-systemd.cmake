add_executable(test-engine-systemd ${CMAKE_CURRENT_LIST_DIR}/engine-systemd.c)
target_link_libraries(test-engine-systemd PRIVATE devpass-core
                      PkgConfig::CMOCKA)
add_test(NAME unit-engine-systemd COMMAND test-engine-systemd)
set_tests_properties(unit-engine-systemd PROPERTIES LABELS "unit" TIMEOUT 60)
