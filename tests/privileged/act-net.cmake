# NIC moves (agent/act/net.c): pure parts without root, then real moves into
# dp-testctr containers.
add_executable(act-net-errno-test ${CMAKE_CURRENT_LIST_DIR}/act-net-errno.c)
target_include_directories(act-net-errno-test PRIVATE
                           ${CMAKE_SOURCE_DIR}/agent/act)
target_link_libraries(act-net-errno-test PRIVATE devpass-net-impl devpass-act
                      PkgConfig::CMOCKA)
add_test(NAME act-net-errno COMMAND act-net-errno-test)
set_tests_properties(act-net-errno PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "unit" TIMEOUT 30)

add_executable(act-net-test ${CMAKE_CURRENT_LIST_DIR}/act-net.c)
target_link_libraries(act-net-test PRIVATE devpass-act PkgConfig::NL
                      PkgConfig::CMOCKA)
if(TARGET dp-testctr)
  add_dependencies(act-net-test dp-testctr)
endif()
add_test(NAME act-net
         COMMAND act-net-test ${CMAKE_BINARY_DIR}/tests/harness/dp-testctr)
set_tests_properties(act-net PROPERTIES SKIP_RETURN_CODE 77
                     LABELS "privileged" TIMEOUT 180)
