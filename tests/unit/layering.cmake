# Label "lint": scripts over the source tree, not programs (memcheck would
# only run valgrind on bash).
# The agent's layering (act / hw / core / policy includes), and the check's
# own ability to fail.
add_test(NAME unit-layering
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/layering.sh ${CMAKE_SOURCE_DIR})
add_test(NAME unit-layering-self-test
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/layering.sh --self-test)
set_tests_properties(unit-layering unit-layering-self-test PROPERTIES
                     LABELS "lint" TIMEOUT 30)
