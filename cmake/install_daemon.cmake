# socketchatd as a service: the binary, its configuration, its man pages and the systemd
# unit that runs it. Included by install.cmake when socketchatd is built. Component:
# daemon (the socketchatd package).

# Under the prefix /usr (a package), the files go where Debian 12 keeps them: /etc, and
# units in /lib/systemd/system. Under any other prefix, everything stays under it, so
# that `cmake --install --prefix DIR` writes nowhere else (systemd also reads units in
# /usr/local/lib/systemd/system).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(unit_destination /lib/systemd/system)
  set(config_destination /etc/socketchat)
else()
  set(unit_destination lib/systemd/system)
  set(config_destination ${CMAKE_INSTALL_SYSCONFDIR}/socketchat)
endif()
# The unit's --config: where the configured prefix puts it (/etc for /usr).
set(SOCKETCHAT_CONFIG_FILE "${CMAKE_INSTALL_FULL_SYSCONFDIR}/socketchat/socketchatd.conf")
# The unit's StateDirectory=socketchat, whatever the prefix: the installed config keeps
# history and accounts there.
set(SOCKETCHAT_STATE_DIR /var/lib/socketchat)

set(out "${PROJECT_BINARY_DIR}/packaging")
configure_file("${PROJECT_SOURCE_DIR}/packaging/socketchatd.service.in"
               "${out}/socketchatd.service" @ONLY)

# Written from the settings table (apps/socketchatd/setting_table.cpp), as --help is: the
# sample config with data-dir set, and socketchatd(8). Man pages are installed
# compressed, as Debian's are (-n: no name nor time stamp inside, so builds match).
find_program(GZIP_PROGRAM gzip REQUIRED)
add_custom_command(OUTPUT "${out}/socketchatd.conf"
  COMMAND socketchatd_settings_doc --config "${out}/socketchatd.conf"
          "data-dir=${SOCKETCHAT_STATE_DIR}"
  DEPENDS socketchatd_settings_doc VERBATIM)
add_custom_command(OUTPUT "${out}/socketchatd.8" "${out}/socketchatd.8.gz"
  COMMAND socketchatd_settings_doc --man "${out}/socketchatd.8" "${SOCKETCHAT_CONFIG_FILE}"
          "${SOCKETCHAT_STATE_DIR}"
  COMMAND "${GZIP_PROGRAM}" -9nkf "${out}/socketchatd.8"
  DEPENDS socketchatd_settings_doc VERBATIM)
add_custom_command(OUTPUT "${out}/socketchat.7" "${out}/socketchat.7.gz"
  COMMAND "${CMAKE_COMMAND}" -E copy "${PROJECT_SOURCE_DIR}/docs/socketchat.7" "${out}"
  COMMAND "${GZIP_PROGRAM}" -9nkf "${out}/socketchat.7"
  DEPENDS "${PROJECT_SOURCE_DIR}/docs/socketchat.7" VERBATIM)
add_custom_target(socketchatd_service_files ALL
  DEPENDS "${out}/socketchatd.conf" "${out}/socketchatd.8.gz" "${out}/socketchat.7.gz")

install(TARGETS socketchatd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT daemon)
install(FILES "${out}/socketchatd.conf" DESTINATION "${config_destination}" COMPONENT daemon)
install(FILES "${out}/socketchatd.service" DESTINATION "${unit_destination}" COMPONENT daemon)
install(FILES "${out}/socketchatd.8.gz" DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT daemon)
install(FILES "${out}/socketchat.7.gz" DESTINATION ${CMAKE_INSTALL_MANDIR}/man7 COMPONENT daemon)
