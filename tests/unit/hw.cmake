# Discovery helpers and the device JSON shape: no root, no hardware. The
# sources under test are compiled in directly so that these stay independent
# of the library modules that need libraries or devices.
add_executable(test-hw-helpers ${CMAKE_CURRENT_SOURCE_DIR}/hw-helpers.c
               ${CMAKE_SOURCE_DIR}/agent/hw/classify.c
               ${CMAKE_SOURCE_DIR}/agent/hw/proc.c)
target_link_libraries(test-hw-helpers PRIVATE devpass-common PkgConfig::UDEV
                      PkgConfig::CMOCKA)
add_test(NAME unit-hw-helpers COMMAND test-hw-helpers)

add_executable(test-hw-json ${CMAKE_CURRENT_SOURCE_DIR}/hw-json.c
               ${CMAKE_SOURCE_DIR}/agent/core/device-json.c)
target_link_libraries(test-hw-json PRIVATE devpass-common PkgConfig::JSONC
                      PkgConfig::CMOCKA)
add_test(NAME unit-hw-json COMMAND test-hw-json)

set_tests_properties(unit-hw-helpers unit-hw-json PROPERTIES
                     SKIP_RETURN_CODE 77 LABELS "unit" TIMEOUT 60)
