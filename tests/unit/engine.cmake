add_executable(test-engine ${CMAKE_CURRENT_LIST_DIR}/engine.c)
target_link_libraries(test-engine PRIVATE devpass-core PkgConfig::CMOCKA)
add_test(NAME unit-engine COMMAND test-engine)
set_tests_properties(unit-engine PROPERTIES LABELS "unit" TIMEOUT 60)
