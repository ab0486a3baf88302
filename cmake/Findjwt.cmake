# Finds libjwt (JWTs the embedding application mints, verified for TOKEN) and defines
# the IMPORTED target jwt::jwt.
include("${CMAKE_CURRENT_LIST_DIR}/pkg_config_package.cmake")
socketchat_pkg_config_package(jwt libjwt jwt.h jwt libjwt)
