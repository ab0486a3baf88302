# Install rules: the library, its headers, a CMake package (socketchatConfig.cmake,
# a version file and the exported targets), a pkg-config file, socketchatd as a service
# (install_daemon.cmake), and the Debian packages made of them (package.cmake).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SOCKETCHAT_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/socketchat")

# Each file belongs to a component, one Debian package each (cmake/package.cmake):
# library (the shared library), development (what a build against it needs) and daemon.
install(TARGETS socketchat EXPORT socketchatTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT library
          NAMELINK_COMPONENT development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT library)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/socketchat"
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT development
  FILES_MATCHING PATTERN "*.hpp")
install(FILES "${PROJECT_BINARY_DIR}/include/socketchat/version.hpp"  # from version.hpp.in
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/socketchat COMPONENT development)
install(EXPORT socketchatTargets
  NAMESPACE socketchat::
  DESTINATION ${SOCKETCHAT_CMAKE_DIR} COMPONENT development)

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/socketchatConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/socketchatConfig.cmake"
  INSTALL_DESTINATION ${SOCKETCHAT_CMAKE_DIR})
# While 0.x, a minor release may break the API: only the same minor version matches.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/socketchatConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/socketchatConfig.cmake"
  "${PROJECT_BINARY_DIR}/socketchatConfigVersion.cmake"
  "${PROJECT_SOURCE_DIR}/cmake/Findasio.cmake"  # for hosts that embed on their own io_context
  "${PROJECT_SOURCE_DIR}/cmake/Findsodium.cmake"  # a static library's users link libsodium
  "${PROJECT_SOURCE_DIR}/cmake/Findjwt.cmake"  # and libjwt
  "${PROJECT_SOURCE_DIR}/cmake/Findhiredis.cmake"  # and hiredis
  "${PROJECT_SOURCE_DIR}/cmake/pkg_config_package.cmake"  # what those two use
  DESTINATION ${SOCKETCHAT_CMAKE_DIR} COMPONENT development)

# A static library needs fmt on every link line; a shared one only privately.
if(BUILD_SHARED_LIBS)
  set(SOCKETCHAT_PC_REQUIRES "Requires.private")
else()
  set(SOCKETCHAT_PC_REQUIRES "Requires")
endif()
# The prefix is found from the file's own place, so the prefix moves with the files:
# libdir may be lib or lib/x86_64-linux-gnu (Debian's multiarch, for the prefix /usr).
file(RELATIVE_PATH SOCKETCHAT_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" SOCKETCHAT_PC_TO_PREFIX "${SOCKETCHAT_PC_TO_PREFIX}")
configure_file("${PROJECT_SOURCE_DIR}/cmake/socketchat.pc.in"
               "${PROJECT_BINARY_DIR}/socketchat.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/socketchat.pc"
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT development)

if(TARGET socketchatd)
  include(install_daemon)
endif()

# Debian packages (cpack) are made from a build of the shared library and socketchatd
# for the prefix /usr, the paths their files and the unit name (scripts/package.sh).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" AND BUILD_SHARED_LIBS AND TARGET socketchatd)
  include(package)
endif()
