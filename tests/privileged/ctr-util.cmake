# Harness-container helpers shared by the privileged cmocka tests.
add_library(dpt-ctr-util STATIC ${CMAKE_CURRENT_LIST_DIR}/ctr-util.c)
target_include_directories(dpt-ctr-util PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(dpt-ctr-util PUBLIC devpass-act PkgConfig::CMOCKA)
if(TARGET dp-testctr)
  add_dependencies(dpt-ctr-util dp-testctr)
endif()
