add_executable(test-cdi ${CMAKE_CURRENT_LIST_DIR}/cdi.c)
target_link_libraries(test-cdi PRIVATE devpass-core PkgConfig::CMOCKA)
add_test(NAME unit-cdi COMMAND test-cdi)
set_tests_properties(unit-cdi PROPERTIES LABELS "unit" TIMEOUT 60)

add_executable(test-cdi-sync ${CMAKE_CURRENT_LIST_DIR}/cdi-sync.c)
target_link_libraries(test-cdi-sync PRIVATE devpass-core PkgConfig::CMOCKA)
add_test(NAME unit-cdi-sync COMMAND test-cdi-sync)
set_tests_properties(unit-cdi-sync PROPERTIES LABELS "unit" TIMEOUT 60)
