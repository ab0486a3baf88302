# socketchat_pkg_config_package(<package> <pkg-config module> <header> <library names...>)
# The body of a Find<package>.cmake for a C library that ships a pkg-config file but no
# CMake package (libsodium, libjwt): finds its header and library, hinted by pkg-config
# when it is there, and defines the IMPORTED target <package>::<package>.
# A macro: find_package_handle_standard_args sets <package>_FOUND in the caller's scope.
include_guard(GLOBAL)
include(FindPackageHandleStandardArgs)

macro(socketchat_pkg_config_package package module header)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(PC_${package} QUIET ${module})
  endif()
  find_path(${package}_INCLUDE_DIR NAMES ${header} HINTS ${PC_${package}_INCLUDE_DIRS})
  find_library(${package}_LIBRARY NAMES ${ARGN} HINTS ${PC_${package}_LIBRARY_DIRS})
  set(${package}_VERSION "${PC_${package}_VERSION}")
  find_package_handle_standard_args(${package}
    REQUIRED_VARS ${package}_LIBRARY ${package}_INCLUDE_DIR VERSION_VAR ${package}_VERSION)
  if(${package}_FOUND AND NOT TARGET ${package}::${package})
    add_library(${package}::${package} UNKNOWN IMPORTED)
    set_target_properties(${package}::${package} PROPERTIES
      IMPORTED_LOCATION "${${package}_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${${package}_INCLUDE_DIR}")
  endif()
  mark_as_advanced(${package}_INCLUDE_DIR ${package}_LIBRARY)
endmacro()
