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
# container-unit: the backends against fake runtimes; container-parse: the
# parsers alone
foreach(_t container-unit container-parse)
  add_executable(test-${_t} ${_t}.c ${DP_CONTAINER_SOURCES})
  target_include_directories(test-${_t} PRIVATE ${CMAKE_SOURCE_DIR}/agent)
  target_link_libraries(test-${_t} PRIVATE devpass-common
                        PkgConfig::JSONC PkgConfig::CMOCKA)
  add_test(NAME ${_t} COMMAND test-${_t})
  set_tests_properties(${_t} PROPERTIES SKIP_RETURN_CODE 77
                       LABELS "unit" TIMEOUT 60)
endforeach()
