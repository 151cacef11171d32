# Safe path walking below a container root (agent/act/node-path.c); no root
# needed.
add_executable(test-act-node-path ${CMAKE_CURRENT_LIST_DIR}/act-node-path.c)
target_include_directories(test-act-node-path PRIVATE
                           ${CMAKE_SOURCE_DIR}/agent/act)
target_link_libraries(test-act-node-path PRIVATE devpass-act PkgConfig::CMOCKA)
add_test(NAME unit-act-node-path COMMAND test-act-node-path)
set_tests_properties(unit-act-node-path PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "unit" TIMEOUT 30)
