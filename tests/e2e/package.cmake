# The Debian package: build (reusing BUILD_DIR/package), lintian, file list,
# install/remove/purge in a private mount namespace.
add_test(NAME e2e-package COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/package.sh)
set_tests_properties(e2e-package PROPERTIES
  LABELS "e2e;package" TIMEOUT 240 SKIP_RETURN_CODE 77
  ENVIRONMENT "BUILD_DIR=${CMAKE_BINARY_DIR}")
