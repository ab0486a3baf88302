# Debian packages from the install rules' components (cpack -G DEB; scripts/package.sh
# builds them, configured with the prefix /usr and shared libraries):
#   libsocketchat<SOVERSION>  component library: the shared library
#   libsocketchat-dev         component development: headers, CMake package, pkg-config
#   socketchatd               component daemon: the daemon, its unit, config, man pages
# Each also gets /usr/share/doc/<package>/copyright and changelog.Debian.gz, and the
# lintian overrides of packaging/debian/lintian-overrides.

# The runtime package is named after the SONAME (Debian policy 8.1):
# libsocketchat.so.0.2 is in libsocketchat0.2.
set(SOCKETCHAT_LIBRARY_PACKAGE "libsocketchat${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}")
set(SOCKETCHAT_DEB_REVISION 1)  # packaging/debian/changelog's, after the version
set(SOCKETCHAT_DEB_VERSION "${PROJECT_VERSION}-${SOCKETCHAT_DEB_REVISION}")
set(SOCKETCHAT_PACKAGE_MAINTAINER "The socketchat authors <socketchat@example.org>"
    CACHE STRING "The packages' Maintainer field")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME socketchat)
set(CPACK_PACKAGE_VENDOR "The socketchat authors")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${SOCKETCHAT_PACKAGE_MAINTAINER}")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL library development daemon)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # name_version-revision_arch.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE ${SOCKETCHAT_DEB_REVISION})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SOCKETCHAT_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)  # maintainer scripts 0755, others 0644
# Depends from the ELF files (dpkg-shlibdeps); the library itself is not installed while
# the daemon's package is made, so dpkg-shlibdeps looks for it in the build tree, and
# the daemon names its own dependency on it below.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${PROJECT_BINARY_DIR}/lib")

set(CPACK_DEBIAN_LIBRARY_PACKAGE_NAME "${SOCKETCHAT_LIBRARY_PACKAGE}")
set(CPACK_DEBIAN_LIBRARY_PACKAGE_SECTION libs)
# Each description: its package's synopsis, then lines of at most 80 columns. An empty
# summary keeps CPack from putting the project's description before each synopsis.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
set(about "socketchat is a C++20 library that runs a chat server: users log in
with a unique name, talk in rooms, send direct messages and read history,
over a plain line protocol, WebSocket and IRC.")
set(CPACK_DEBIAN_LIBRARY_DESCRIPTION "embeddable chat server library (shared library)
${about}
.
This package holds the shared library.")
# A package that holds a shared library tells the others (dpkg-shlibdeps) which
# version of it they need, and has ldconfig run when it comes and goes.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_LIBRARY_PACKAGE_CONTROL_EXTRA "${PROJECT_SOURCE_DIR}/packaging/debian/triggers")

set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME libsocketchat-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
# The headers of this very build; transport.hpp includes Asio; pkg-config --cflags reads
# socketchat.pc's Requires.private, so those libraries' .pc files must be there.
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS
    "${SOCKETCHAT_LIBRARY_PACKAGE} (= ${SOCKETCHAT_DEB_VERSION}), libasio-dev, libfmt-dev, \
libssl-dev, libsodium-dev, libjwt-dev, libhiredis-dev, libsqlite3-dev")
set(CPACK_DEBIAN_DEVELOPMENT_DESCRIPTION "embeddable chat server library (development files)
${about}
.
This package holds the headers, the CMake package (find_package(socketchat))
and the pkg-config file.")

set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME socketchatd)
set(CPACK_DEBIAN_DAEMON_PACKAGE_SECTION net)
# socketchatd uses the library's internals (password hashing, name checks): this very
# build of it.
set(CPACK_DEBIAN_DAEMON_PACKAGE_DEPENDS "${SOCKETCHAT_LIBRARY_PACKAGE} (= ${SOCKETCHAT_DEB_VERSION})")
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/debian/conffiles;${PROJECT_SOURCE_DIR}/packaging/debian/postinst;\
${PROJECT_SOURCE_DIR}/packaging/debian/prerm;${PROJECT_SOURCE_DIR}/packaging/debian/postrm")
set(CPACK_DEBIAN_DAEMON_DESCRIPTION "chat server for a line protocol, IRC and WebSocket
socketchatd is a chat server: users log in with a unique name, talk in rooms,
send direct messages and read history, over a plain line protocol (TCP, TLS,
WebSocket), over IRC, and from a built-in browser client; with accounts,
operators, message ids for resuming, and clusters of nodes sharing one world
through Redis.
.
This package runs it as a systemd service, socketchatd.service, with its
configuration in /etc/socketchat and its data in /var/lib/socketchat.")

# copyright, changelog.Debian.gz and lintian's overrides in each package. Only for the
# packages: EXCLUDE_FROM_ALL keeps them out of a plain cmake --install.
set(changelog "${PROJECT_BINARY_DIR}/packaging/changelog.Debian")
find_program(GZIP_PROGRAM gzip REQUIRED)
add_custom_command(OUTPUT "${changelog}.gz"
  COMMAND "${CMAKE_COMMAND}" -E copy "${PROJECT_SOURCE_DIR}/packaging/debian/changelog"
          "${changelog}"
  COMMAND "${GZIP_PROGRAM}" -9nf "${changelog}"
  DEPENDS "${PROJECT_SOURCE_DIR}/packaging/debian/changelog" VERBATIM)
add_custom_target(socketchat_debian_changelog ALL DEPENDS "${changelog}.gz")
foreach(component library development daemon)
  string(TOUPPER ${component} upper)
  set(package "${CPACK_DEBIAN_${upper}_PACKAGE_NAME}")
  install(FILES "${PROJECT_SOURCE_DIR}/packaging/debian/copyright" "${changelog}.gz"
    DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/doc/${package}"
    COMPONENT ${component} EXCLUDE_FROM_ALL)
  # packaging/debian/lintian-overrides says why each is there.
  file(STRINGS "${PROJECT_SOURCE_DIR}/packaging/debian/lintian-overrides" overrides
       REGEX "^(${component}|\\*): ")
  list(TRANSFORM overrides REPLACE "^[^:]*: " "${package}: ")
  list(JOIN overrides "\n" overrides)
  file(WRITE "${PROJECT_BINARY_DIR}/packaging/lintian/${package}" "${overrides}\n")
  install(FILES "${PROJECT_BINARY_DIR}/packaging/lintian/${package}"
    DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides"
    COMPONENT ${component} EXCLUDE_FROM_ALL)
endforeach()

include(CPack)
