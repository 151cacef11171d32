# End-to-end tests of devpassd (bash, as root, real kernel and LXC).
foreach(_t agent-hotplug agent-policy agent-crash agent-forward agent-exclusive grant-matrix
        agent-nic-identity agent-lease agent-audit agent-cdi agent-dra
        service-ref-grammar
        service-cg2-lifecycle
        service-deny service-rule-identity service-paths udevd-restart agent-metrics
        agent-cgroup-move)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/${_t}.sh)
    add_test(NAME e2e-${_t} COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/${_t}.sh)
    set_tests_properties(e2e-${_t} PROPERTIES
      LABELS "e2e" TIMEOUT 300 SKIP_RETURN_CODE 77
      ENVIRONMENT "BUILD_DIR=${CMAKE_BINARY_DIR};DPT_HARNESS=${CMAKE_BINARY_DIR}/tests/harness/dp-testctr")
  endif()
endforeach()

add_executable(dpt-ipc-raw ${CMAKE_CURRENT_LIST_DIR}/ipc-raw.c)
set_target_properties(dpt-ipc-raw PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/e2e)

add_executable(dpt-grant ${CMAKE_CURRENT_LIST_DIR}/grant-cli.c)
target_link_libraries(dpt-grant PRIVATE devpass-core)
set_target_properties(dpt-grant PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/e2e)

add_executable(dpt-notify-check ${CMAKE_CURRENT_LIST_DIR}/notify-check.c)
add_test(NAME e2e-agent-notify
         COMMAND sh -c "d=$(mktemp -d) && $<TARGET_FILE:dpt-notify-check> $<TARGET_FILE:devpassd> $d; r=$?; rm -rf $d; exit $r")
set_tests_properties(e2e-agent-notify PROPERTIES LABELS "e2e" TIMEOUT 60)

# The real container engines (Debian's docker.io, podman, lxd), started by
# the tests themselves; they skip only when the engine's package is absent.
foreach(_t engine-docker engine-podman engine-lxd engine-lxc engine-names
            engine-detach)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/${_t}.sh)
    add_test(NAME e2e-${_t} COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/${_t}.sh)
    set_tests_properties(e2e-${_t} PROPERTIES
      LABELS "e2e;engine" TIMEOUT 240 SKIP_RETURN_CODE 77
      ENVIRONMENT "BUILD_DIR=${CMAKE_BINARY_DIR};DPT_HARNESS=${CMAKE_BINARY_DIR}/tests/harness/dp-testctr")
  endif()
endforeach()
