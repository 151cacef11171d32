# Adversarial end-to-end tests of devpassd: racing lifetimes, uevent storms
# and forged uevents, storage faults, IPC abuse (bash, root, real kernel).
foreach(_t storm-lifetimes storm-uevents hardening-storage hardening-ipc
           hardening-runtime hardening-peer hardening-cg2-repair hostile-runtime
           stale-nodes)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/${_t}.sh)
    add_test(NAME e2e-${_t} COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/${_t}.sh)
    set_tests_properties(e2e-${_t} PROPERTIES
      LABELS "e2e" TIMEOUT 240 SKIP_RETURN_CODE 77
      ENVIRONMENT "BUILD_DIR=${CMAKE_BINARY_DIR};DPT_HARNESS=${CMAKE_BINARY_DIR}/tests/harness/dp-testctr")
  endif()
endforeach()
