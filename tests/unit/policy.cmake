# Policy language: parser diagnostics, matcher, loader, shipped examples.
foreach(_t policy-parse policy-match policy-examples)
  add_executable(test-${_t} ${CMAKE_CURRENT_LIST_DIR}/${_t}.c)
  target_link_libraries(test-${_t} PRIVATE devpass-policy PkgConfig::CMOCKA)
  target_include_directories(test-${_t} PRIVATE ${CMAKE_SOURCE_DIR}/policy)
  target_compile_definitions(test-${_t} PRIVATE
    POLICY_EXAMPLES_DIR="${CMAKE_SOURCE_DIR}/policy/examples"
    POLICY_TEST_DATA_DIR="${CMAKE_CURRENT_LIST_DIR}/policy-data")
  add_test(NAME ${_t} COMMAND test-${_t})
  set_tests_properties(${_t} PROPERTIES SKIP_RETURN_CODE 77 LABELS "unit"
                       TIMEOUT 60)
endforeach()
