# Discovery on the real kernel (root): loop, veth, tap and macvtap devices,
# with and without systemd-udevd.
add_executable(test-hw-real-check ${CMAKE_CURRENT_SOURCE_DIR}/hw-real-check.c
               ${CMAKE_SOURCE_DIR}/agent/core/device-json.c)
target_link_libraries(test-hw-real-check PRIVATE devpass-hw PkgConfig::JSONC)
add_test(NAME privileged-hw-real
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/hw-real.sh
                 $<TARGET_FILE:test-hw-real-check>)
set_tests_properties(privileged-hw-real PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "privileged" TIMEOUT 120 RUN_SERIAL TRUE)

# NVIDIA bundles on a host with the driver; skips (77) everywhere else.
add_executable(test-hw-nvidia ${CMAKE_CURRENT_SOURCE_DIR}/hw-nvidia-check.c)
target_link_libraries(test-hw-nvidia PRIVATE devpass-hw)
add_test(NAME privileged-hw-nvidia COMMAND test-hw-nvidia)
set_tests_properties(privileged-hw-nvidia PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "privileged" TIMEOUT 60)
