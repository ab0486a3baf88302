# Builds examples/ on its own against an installed socketchat, as an embedder who copies
# an example would, then runs the transport and protocol examples' tests on those
# binaries. Run as a script:
#   cmake -DEXAMPLES=<repo>/examples -DBINARY_DIR=<dir> -DPREFIX=<installed prefix>
#         -DBUILD_TYPE=<type> -DGENERATOR=<generator> -DTEST_SCRIPT=<test.py>
#         [-DLAUNCHER=<compiler launcher>] -P build_and_test.cmake
foreach(var EXAMPLES BINARY_DIR PREFIX BUILD_TYPE GENERATOR TEST_SCRIPT)
  if(NOT ${var})
    message(FATAL_ERROR "build_and_test.cmake: -D${var}=... is required")
  endif()
endforeach()

set(launcher "")
if(LAUNCHER)
  set(launcher "-DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER}")
endif()
# The project's warnings as errors: an example must build cleanly for those who copy it.
execute_process(
  COMMAND "${CMAKE_COMMAND}" -S "${EXAMPLES}" -B "${BINARY_DIR}" -G "${GENERATOR}"
          "-DCMAKE_PREFIX_PATH=${PREFIX}" "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
          -DSOCKETCHAT_WARNINGS=ON -DSOCKETCHAT_WERROR=ON ${launcher}
  COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BINARY_DIR}" --parallel 2
  COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND /usr/bin/python3 "${TEST_SCRIPT}" "${BINARY_DIR}"
  COMMAND_ERROR_IS_FATAL ANY)
