# The cgroup v2 device program builder (no root needed; the verifier check
# runs only as root).
add_executable(test-bpf-prog ${CMAKE_CURRENT_LIST_DIR}/bpf-prog.c)
target_include_directories(test-bpf-prog PRIVATE
                           ${CMAKE_SOURCE_DIR}/agent/act)
target_link_libraries(test-bpf-prog PRIVATE devpass-act PkgConfig::CMOCKA)
add_test(NAME unit-bpf-prog COMMAND test-bpf-prog)
set_tests_properties(unit-bpf-prog PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "unit" TIMEOUT 30)
