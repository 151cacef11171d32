# devpassd hotplug under umockdev: simulated USB, input and GPU devices are
# plugged in and out while the agent grants them into a real harness
# container (real namespaces, real v1 device cgroup). agent-hotplug.sh
# starts the container and runs agent-driver under umockdev-wrapper, once
# per uevent source of the agent.
find_program(UMOCKDEV_WRAPPER umockdev-wrapper)
if(UMOCKDEV_FOUND AND UMOCKDEV_WRAPPER)
  add_executable(agent-driver ${CMAKE_CURRENT_LIST_DIR}/agent-driver.c
                              ${CMAKE_CURRENT_LIST_DIR}/agent-driver-lib.c)
  target_include_directories(agent-driver PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(agent-driver PRIVATE devpass-common
                        PkgConfig::UMOCKDEV PkgConfig::JSONC)
  set_target_properties(agent-driver PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/umockdev)
  add_test(NAME umockdev-agent-hotplug
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/agent-hotplug.sh)
  # The preload comes before the sanitizer runtime in LD_PRELOAD.
  set_tests_properties(umockdev-agent-hotplug PROPERTIES
    LABELS "umockdev" TIMEOUT 300 SKIP_RETURN_CODE 77
    ENVIRONMENT "BUILD_DIR=${CMAKE_BINARY_DIR};DPT_HARNESS=${CMAKE_BINARY_DIR}/tests/harness/dp-testctr;AGENT_DRIVER=$<TARGET_FILE:agent-driver>;ASAN_OPTIONS=verify_asan_link_order=0")
endif()
