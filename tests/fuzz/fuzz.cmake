# libFuzzer targets: every tests/fuzz/fuzz-*.c becomes a binary of the same
# name, run by run-fuzzers.sh with its seed corpus corpus/<name without
# "fuzz-">. Built only with clang and -DDEVPASS_FUZZ=ON.
if(DEVPASS_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(WARNING "DEVPASS_FUZZ needs clang; fuzz targets not built")
  else()
    set(_fuzz_flags -fsanitize=fuzzer-no-link,address,undefined
                    -fno-omit-frame-pointer)
    # Instrument the libraries too, or the fuzzer is blind inside them.
    foreach(_lib devpass-common devpass-policy devpass-hw devpass-act
                 devpass-core)
      if(TARGET ${_lib})
        target_compile_options(${_lib} PRIVATE ${_fuzz_flags})
      endif()
    endforeach()
    file(GLOB _fuzz_sources CONFIGURE_DEPENDS
         ${CMAKE_CURRENT_LIST_DIR}/fuzz-*.c)
    foreach(_src ${_fuzz_sources})
      get_filename_component(_name ${_src} NAME_WE)
      string(REGEX REPLACE "^fuzz-" "" _corpus ${_name})
      add_executable(${_name} ${_src})
      target_compile_options(${_name} PRIVATE
                             -fsanitize=fuzzer,address,undefined
                             -fno-omit-frame-pointer)
      target_link_options(${_name} PRIVATE -fsanitize=fuzzer,address,undefined)
      target_link_libraries(${_name} PRIVATE devpass-core)
      # Replaying the seed corpus is a cheap regression test.
      if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/corpus/${_corpus})
        add_test(NAME ${_name}-corpus
                 COMMAND ${_name} -runs=0 ${CMAKE_CURRENT_LIST_DIR}/corpus/${_corpus})
        set_tests_properties(${_name}-corpus PROPERTIES LABELS "fuzz"
                             TIMEOUT 120 SKIP_RETURN_CODE 77)
      endif()
    endforeach()
  endif()
endif()
