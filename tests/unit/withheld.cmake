add_executable(test-withheld ${CMAKE_CURRENT_LIST_DIR}/withheld.c)
target_link_libraries(test-withheld PRIVATE devpass-core PkgConfig::CMOCKA)
add_test(NAME unit-withheld COMMAND test-withheld)
set_tests_properties(unit-withheld PROPERTIES LABELS "unit" TIMEOUT 60)
