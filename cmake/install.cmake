# `cmake --install` and the Debian package (CPack DEB): what goes where is in
# docs/install.md; why in docs/decisions.md ("Packaging").
#
#   bin/netctl                                   the CLI
#   libexec/netctl/floater                       the floater the image holds (static when
#                                                NETCTL_STATIC_FLOATER is on), not on PATH
#   share/netctl/netctl-floater-VERSION.oci.tar  the floater image (NETCTL_STATIC_FLOATER)
#   share/netctl/deploy/                         the DaemonSet templates, RBAC, Containerfile
#   share/man/man{1,5,8}/                        netctl(1), netctl-config(5), floater(8)
#   share/bash-completion/completions/netctl     bash completion
#   share/doc/netctl/                            README.md and docs/
install(TARGETS netctl DESTINATION ${CMAKE_INSTALL_BINDIR})
if(NETCTL_STATIC_FLOATER)
  install(PROGRAMS $<TARGET_FILE:floater-static> RENAME floater
          DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/netctl)
  install(FILES ${CMAKE_BINARY_DIR}/netctl-floater-${PROJECT_VERSION}.oci.tar
          DESTINATION ${CMAKE_INSTALL_DATADIR}/netctl)
else()
  message(STATUS "NETCTL_STATIC_FLOATER is off: `cmake --install` and the package hold no "
                 "floater image and a dynamically linked floater")
  install(TARGETS floater DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/netctl)
endif()
install(DIRECTORY ${CMAKE_SOURCE_DIR}/deploy/ DESTINATION ${CMAKE_INSTALL_DATADIR}/netctl/deploy
        FILES_MATCHING PATTERN "*.yaml" PATTERN "Containerfile")
install(FILES ${CMAKE_SOURCE_DIR}/completions/netctl.bash RENAME netctl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
        FILES_MATCHING PATTERN "*.md" PATTERN "*.json" PATTERN "man" EXCLUDE)

set(NETCTL_PACKAGE_MAINTAINER "netctl maintainers <netctl-maintainers@example.invalid>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME netctl)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "checks Kubernetes and Kosmos container networks, node pair by node pair")
# the extended description; CPack puts the summary above it and indents each line
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "netctl deploys a small static agent, the floater, as a DaemonSet into every
cluster it checks and probes every node pair within and across clusters over
ICMP, TCP and UDP, IPv4 and IPv6, pod and host network, through the API
server's pod proxy. Every run is stored in SQLite, so resume, history, diff
and reports are queries.

The package holds the netctl CLI, the floater image as an OCI archive to copy
into a registry (skopeo copy oci-archive:...), the deploy templates, man pages
and bash completion.")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${NETCTL_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "skopeo, bash-completion")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
include(CPack)
