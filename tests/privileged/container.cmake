# Container resolution against real containers (root): dp-testctr containers
# as pid:/cgroup: references, and a real LXC busybox container.
pkg_check_modules(DPC_LXC IMPORTED_TARGET lxc)
add_executable(test-container-priv container-priv.c
    ${CMAKE_SOURCE_DIR}/agent/core/container.c
    ${CMAKE_SOURCE_DIR}/agent/core/container-http.c
    ${CMAKE_SOURCE_DIR}/agent/core/container-resolve.c
    ${CMAKE_SOURCE_DIR}/agent/core/runtime-auth.c
    ${CMAKE_SOURCE_DIR}/agent/core/runtime-docker.c
    ${CMAKE_SOURCE_DIR}/agent/core/runtime-podman.c
    ${CMAKE_SOURCE_DIR}/agent/core/runtime-cli.c
    ${CMAKE_SOURCE_DIR}/agent/core/runtime-incus.c
    ${CMAKE_SOURCE_DIR}/agent/core/runtime-lxc.c
    ${CMAKE_SOURCE_DIR}/agent/core/runtime-nspawn.c)
target_include_directories(test-container-priv PRIVATE
                           ${CMAKE_SOURCE_DIR}/agent)
target_link_libraries(test-container-priv PRIVATE devpass-common
                      PkgConfig::JSONC PkgConfig::CMOCKA)
if(DPC_LXC_FOUND)
  target_link_libraries(test-container-priv PRIVATE PkgConfig::DPC_LXC)
  target_compile_definitions(test-container-priv PRIVATE HAVE_LIBLXC=1)
endif()

add_test(NAME container-priv-lxc COMMAND test-container-priv lxc)
set_tests_properties(container-priv-lxc PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "privileged" TIMEOUT 120)
add_test(NAME container-priv-harness
         COMMAND test-container-priv harness
                 ${CMAKE_BINARY_DIR}/tests/harness/dp-testctr)
set_tests_properties(container-priv-harness PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "privileged" TIMEOUT 120)
if(TARGET dp-testctr)
  add_dependencies(test-container-priv dp-testctr)
endif()
