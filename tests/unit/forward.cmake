# Forward=yes pure parts (agent/act/forward-wire.c): udev database record,
# libudev netlink message layout, MurmurHash2/bloom against libudev's own.
add_executable(test-forward-wire ${CMAKE_CURRENT_LIST_DIR}/forward.c)
target_include_directories(test-forward-wire PRIVATE
                           ${CMAKE_SOURCE_DIR}/agent/act)
target_link_libraries(test-forward-wire PRIVATE devpass-act PkgConfig::UDEV
                      PkgConfig::CMOCKA)
add_test(NAME unit-forward-wire COMMAND test-forward-wire)
set_tests_properties(unit-forward-wire PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "unit" TIMEOUT 30)
