# Static binaries and the OCI image archives made of them (docs/install.md, "The floater
# image"; docs/decisions.md, "Images: our own script writes the OCI layout").

# netctl_static(TARGET): links TARGET fully static (glibc), small and stripped: what a
# FROM scratch image runs.
function(netctl_static target)
  target_compile_options(${target} PRIVATE -Os -ffunction-sections -fdata-sections)
  target_link_options(${target} PRIVATE -static -Wl,--gc-sections -s)
endfunction()

# netctl_oci_image(TARGET IMAGE BINARY CONTAINERFILE): the custom target TARGET writes
# ${CMAKE_BINARY_DIR}/IMAGE-VERSION.oci.tar (an oci-archive named
# NETCTL_IMAGE_REPOSITORY/IMAGE:VERSION) from CONTAINERFILE, whose COPY names the file of
# the executable target BINARY. It runs on every build (about a second): the revision label
# follows the checkout's commit even when no binary changed. Without
# NETCTL_STATIC_FLOATER the target exists and fails, saying what to turn on.
function(netctl_oci_image target image binary containerfile)
  set(out ${CMAKE_BINARY_DIR}/${image}-${PROJECT_VERSION}.oci.tar)
  if(NOT NETCTL_STATIC_FLOATER)
    add_custom_target(${target}
      COMMAND ${CMAKE_COMMAND} -E echo "${target}: configure with -DNETCTL_STATIC_FLOATER=ON (the image holds a static binary)"
      COMMAND ${CMAKE_COMMAND} -E false
      VERBATIM)
    return()
  endif()
  if(EXISTS ${CMAKE_SOURCE_DIR}/.git)
    set(revision --git-revision ${CMAKE_SOURCE_DIR})
  else()
    set(revision --build-arg REVISION=unknown)
  endif()
  add_custom_target(${target} ALL
    COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/oci-image.sh
      --containerfile ${containerfile} --context $<TARGET_FILE_DIR:${binary}>
      --name ${NETCTL_IMAGE_REPOSITORY}/${image} --tag ${PROJECT_VERSION}
      --build-arg VERSION=${PROJECT_VERSION} ${revision} --out ${out}
    DEPENDS ${binary} ${containerfile} ${CMAKE_SOURCE_DIR}/scripts/oci-image.sh
    BYPRODUCTS ${out}
    COMMENT "OCI image archive ${out}"
    VERBATIM)
endfunction()
