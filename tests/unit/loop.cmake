add_executable(test-loop ${CMAKE_CURRENT_LIST_DIR}/loop.c)
target_link_libraries(test-loop PRIVATE devpass-core PkgConfig::CMOCKA)
add_test(NAME unit-loop COMMAND test-loop)
set_tests_properties(unit-loop PROPERTIES LABELS "unit" TIMEOUT 30)
