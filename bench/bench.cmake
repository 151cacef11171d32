# devpass benchmarks: built only on request (`--target benchmarks`), never
# registered with ctest; bench/run.sh runs them and prints a summary.
pkg_check_modules(BENCH_LXC IMPORTED_TARGET lxc)

add_library(devpass-bench-common STATIC ${CMAKE_CURRENT_LIST_DIR}/bench.c)
target_include_directories(devpass-bench-common PUBLIC ${CMAKE_CURRENT_LIST_DIR})

set(_dpb_out ${CMAKE_BINARY_DIR}/bench)
add_custom_target(benchmarks)
function(devpass_bench name)
  add_executable(${name} ${CMAKE_CURRENT_LIST_DIR}/${name}.c)
  target_link_libraries(${name} PRIVATE devpass-bench-common ${ARGN})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${_dpb_out})
  add_dependencies(benchmarks ${name})
endfunction()

if(BENCH_LXC_FOUND)
  devpass_bench(bench-hotplug PkgConfig::UDEV PkgConfig::BENCH_LXC)
endif()

devpass_bench(bench-userns devpass-core)
devpass_bench(bench-cg2 devpass-core)
devpass_bench(bench-net devpass-core PkgConfig::NL)
devpass_bench(bench-agent PkgConfig::UDEV)
