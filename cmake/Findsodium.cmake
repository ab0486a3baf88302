# Finds libsodium (Argon2id password hashing, HMAC-SHA256 tokens) and defines the
# IMPORTED target sodium::sodium.
include("${CMAKE_CURRENT_LIST_DIR}/pkg_config_package.cmake")
socketchat_pkg_config_package(sodium libsodium sodium.h sodium libsodium)
