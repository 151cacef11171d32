# Input classification from sysfs capability bitmaps (agent/hw/input.c).
add_executable(test-input-classify ${CMAKE_CURRENT_LIST_DIR}/input-classify.c)
target_include_directories(test-input-classify PRIVATE
                           ${CMAKE_SOURCE_DIR}/agent)
target_link_libraries(test-input-classify PRIVATE devpass-hw PkgConfig::CMOCKA)
add_test(NAME unit-input-classify COMMAND test-input-classify)
set_tests_properties(unit-input-classify PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "unit" TIMEOUT 30)
