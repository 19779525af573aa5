# The Debian package (scripts/package.sh; `cpack -G DEB` in the build directory): the binary, the hardened
# systemd unit, the commented configuration file as a conffile, and maintainer scripts that create the
# `tributary` system user and, on purge only, remove it and its state. Dependencies come from the binary's
# shared libraries (dpkg-shlibdeps).
include(GNUInstallDirs)

# Installing (and so packaging) needs only the binary, which scripts/package.sh builds first: not every test.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS tributary RUNTIME DESTINATION bin)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/tributary.service DESTINATION /lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/tributary.toml DESTINATION /etc/tributary)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION share/doc/tributary)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tributary)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "Tributary maintainers <tributary@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Upstream-webhook relay for HRIS and ATS tools")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Receives webhooks from HR and recruiting systems, records every one durably, turns it into one unified\n\
event vocabulary and relays it, signed and retried, to your endpoints. Runs as the tributary.service\n\
systemd unit, configured in /etc/tributary/tributary.toml.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# postinst uses adduser when present, else useradd (passwd, which every Debian system has).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS adduser)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/packaging/debian/conffiles ${CMAKE_SOURCE_DIR}/packaging/debian/postinst
    ${CMAKE_SOURCE_DIR}/packaging/debian/prerm ${CMAKE_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
