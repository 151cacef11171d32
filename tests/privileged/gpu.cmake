# GPUs: by-path symlinks in real containers (agent/act/node-link.c) and
# whole GPU bundles granted end to end with the fake-major trick (umockdev
# device facts, real containers and cgroups). Root only.
add_executable(test-gpu-node-link ${CMAKE_CURRENT_LIST_DIR}/gpu-node-link.c)
target_link_libraries(test-gpu-node-link PRIVATE dpt-ctr-util)
add_test(NAME privileged-gpu-node-link
         COMMAND test-gpu-node-link ${CMAKE_BINARY_DIR}/tests/harness/dp-testctr)
set_tests_properties(privileged-gpu-node-link PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "privileged" TIMEOUT 120)

if(UMOCKDEV_FOUND)
  set(_gpu_fixtures ${CMAKE_SOURCE_DIR}/tests/umockdev/fixtures)
  add_executable(test-gpu-fake-major ${CMAKE_CURRENT_LIST_DIR}/gpu-fake-major.c)
  target_include_directories(test-gpu-fake-major PRIVATE
                             ${CMAKE_SOURCE_DIR}/agent)
  target_compile_definitions(test-gpu-fake-major PRIVATE
                             FIXTURE_DIR="${_gpu_fixtures}")
  target_link_libraries(test-gpu-fake-major PRIVATE devpass-core devpass-act
                        devpass-hw devpass-policy PkgConfig::UMOCKDEV)
  if(TARGET dp-testctr)
    add_dependencies(test-gpu-fake-major dp-testctr)
  endif()
  add_test(NAME privileged-gpu-fake-major
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/gpu-fake-major.sh
                   $<TARGET_FILE:test-gpu-fake-major>
                   ${CMAKE_BINARY_DIR}/tests/harness/dp-testctr
                   ${_gpu_fixtures})
  set_tests_properties(privileged-gpu-fake-major PROPERTIES SKIP_RETURN_CODE 77
                       LABELS "privileged" TIMEOUT 300)
endif()
