# Configures and builds one consumer project as its author would, on every core (ctest's
# --build-and-test builds serially, which doubled the suite's time), then runs a command.
# Run as a script:
#   cmake -DSOURCE=<project> -DBINARY_DIR=<dir> -DGENERATOR=<generator>
#         -DBUILD_TYPE=<type> [-DCONFIGURE="-Da=1|-Db=2"] [-DTYPE_FLAGS=<flags>]
#         [-DLAUNCHER=<compiler launcher>]
#         -DRUN="<program>|<argument>|..." -P build_and_run.cmake
# CONFIGURE and RUN separate their words with | so that a word may hold a ; (a list).
# A RUN program without a / is looked for in BINARY_DIR.
foreach(var SOURCE BINARY_DIR GENERATOR BUILD_TYPE RUN)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "build_and_run.cmake: -D${var}=... is required")
  endif()
endforeach()

string(REPLACE "|" ";" configure "${CONFIGURE}")
string(REPLACE "|" ";" run "${RUN}")
if(DEFINED TYPE_FLAGS)  # CMAKE_CXX_FLAGS_<BUILD_TYPE>: the flags the project uses
  string(TOUPPER "${BUILD_TYPE}" type)
  list(APPEND configure "-DCMAKE_CXX_FLAGS_${type}=${TYPE_FLAGS}")
endif()
if(LAUNCHER)
  list(APPEND configure "-DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER}")
endif()
list(GET run 0 program)
if(NOT program MATCHES "/")
  list(REMOVE_AT run 0)
  list(PREPEND run "${BINARY_DIR}/${program}")
endif()

cmake_host_system_information(RESULT cores QUERY NUMBER_OF_LOGICAL_CORES)
execute_process(
  COMMAND "${CMAKE_COMMAND}" -S "${SOURCE}" -B "${BINARY_DIR}" -G "${GENERATOR}"
          "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}" ${configure}
  COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BINARY_DIR}" --parallel ${cores}
  COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${run} COMMAND_ERROR_IS_FATAL ANY)
