# Discovery against umockdev testbeds: libudev, libusb, libdrm and libevdev
# read a fake sysfs and /dev built from tests/umockdev/fixtures. The test
# programs need the preload, so they run under umockdev-wrapper; without
# umockdev installed this suite adds nothing.
find_program(UMOCKDEV_WRAPPER umockdev-wrapper)
if(UMOCKDEV_FOUND AND UMOCKDEV_WRAPPER)
  set(_umd_dir ${CMAKE_CURRENT_LIST_DIR})
  foreach(_t enrich discovery hotplug)
    add_executable(test-umockdev-${_t} ${_umd_dir}/test-${_t}.c)
    target_include_directories(test-umockdev-${_t} PRIVATE
                               ${CMAKE_SOURCE_DIR}/agent ${_umd_dir})
    target_compile_definitions(test-umockdev-${_t} PRIVATE
                               FIXTURE_DIR="${_umd_dir}/fixtures")
    target_link_libraries(test-umockdev-${_t} PRIVATE devpass-hw
                          PkgConfig::UMOCKDEV PkgConfig::CMOCKA)
    add_test(NAME umockdev-${_t}
             COMMAND ${UMOCKDEV_WRAPPER} $<TARGET_FILE:test-umockdev-${_t}>)
    # The preload comes before the sanitizer runtime in LD_PRELOAD.
    set_tests_properties(umockdev-${_t} PROPERTIES SKIP_RETURN_CODE 77
                         LABELS "umockdev" TIMEOUT 120
                         ENVIRONMENT "ASAN_OPTIONS=verify_asan_link_order=0")
  endforeach()
endif()
