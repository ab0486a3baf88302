# Finds hiredis (the cluster's Redis client, its asynchronous API on Asio) and defines
# the IMPORTED target hiredis::hiredis.
include("${CMAKE_CURRENT_LIST_DIR}/pkg_config_package.cmake")
socketchat_pkg_config_package(hiredis hiredis hiredis/hiredis.h hiredis)
