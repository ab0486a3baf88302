# Finds libjwt (JWTs the embedding application mints, verified for TOKEN) through
# pkg-config and defines the IMPORTED target jwt::jwt.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_jwt QUIET libjwt)
endif()
find_path(jwt_INCLUDE_DIR NAMES jwt.h HINTS ${PC_jwt_INCLUDE_DIRS})
find_library(jwt_LIBRARY NAMES jwt libjwt HINTS ${PC_jwt_LIBRARY_DIRS})
set(jwt_VERSION "${PC_jwt_VERSION}")

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(jwt
  REQUIRED_VARS jwt_LIBRARY jwt_INCLUDE_DIR VERSION_VAR jwt_VERSION)

if(jwt_FOUND AND NOT TARGET jwt::jwt)
  add_library(jwt::jwt UNKNOWN IMPORTED)
  set_target_properties(jwt::jwt PROPERTIES
    IMPORTED_LOCATION "${jwt_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${jwt_INCLUDE_DIR}")
endif()
mark_as_advanced(jwt_INCLUDE_DIR jwt_LIBRARY)
