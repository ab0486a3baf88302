# Install rules: the library, its headers, a CMake package (socketchatConfig.cmake,
# a version file and the exported targets), a pkg-config file, and socketchatd.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SOCKETCHAT_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/socketchat")

install(TARGETS socketchat EXPORT socketchatTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/socketchat"
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp")
install(FILES "${PROJECT_BINARY_DIR}/include/socketchat/version.hpp"  # from version.hpp.in
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/socketchat)
install(EXPORT socketchatTargets
  NAMESPACE socketchat::
  DESTINATION ${SOCKETCHAT_CMAKE_DIR})

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
  DESTINATION ${SOCKETCHAT_CMAKE_DIR})

# A static library needs fmt on every link line; a shared one only privately.
if(BUILD_SHARED_LIBS)
  set(SOCKETCHAT_PC_REQUIRES "Requires.private")
else()
  set(SOCKETCHAT_PC_REQUIRES "Requires")
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/socketchat.pc.in"
               "${PROJECT_BINARY_DIR}/socketchat.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/socketchat.pc"
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(TARGET socketchatd)
  install(TARGETS socketchatd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
