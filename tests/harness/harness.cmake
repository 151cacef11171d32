# dp-testctr: the container launcher used by privileged and e2e tests.
# Standalone on purpose (libc only), so it builds even when the devpass
# libraries do not; it only borrows the header-only devpass/macro.h.
file(GLOB DPT_HARNESS_SOURCES CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_LIST_DIR}/*.c)
add_executable(dp-testctr ${DPT_HARNESS_SOURCES})
target_include_directories(dp-testctr PRIVATE ${CMAKE_SOURCE_DIR}/include
                                              ${CMAKE_CURRENT_LIST_DIR})
set_target_properties(dp-testctr PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/harness)
# The launcher forks into new namespaces and pivots roots: the sanitizer
# runtimes do not survive that (their background thread and shadow mappings
# make `exec` hang), and it is test scaffolding, not product code.
target_compile_options(dp-testctr PRIVATE -fno-sanitize=all)
target_link_options(dp-testctr PRIVATE -fno-sanitize=all)
