# Container resolution: parsing, HTTP client and runtime backends against
# fake runtimes (no root needed). Built from the module's own sources so the
# test does not depend on the rest of devpass-core.
set(DP_CONTAINER_SOURCES
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
add_executable(test-container-unit container-unit.c ${DP_CONTAINER_SOURCES})
target_include_directories(test-container-unit PRIVATE
                           ${CMAKE_SOURCE_DIR}/agent)
target_link_libraries(test-container-unit PRIVATE devpass-common
                      PkgConfig::JSONC PkgConfig::CMOCKA)
add_test(NAME container-unit COMMAND test-container-unit)
set_tests_properties(container-unit PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "unit" TIMEOUT 60)

add_executable(test-container-parse container-parse.c ${DP_CONTAINER_SOURCES})
target_include_directories(test-container-parse PRIVATE
                           ${CMAKE_SOURCE_DIR}/agent)
target_link_libraries(test-container-parse PRIVATE devpass-common
                      PkgConfig::JSONC PkgConfig::CMOCKA)
add_test(NAME container-parse COMMAND test-container-parse)
set_tests_properties(container-parse PROPERTIES LABELS "unit" TIMEOUT 60)
