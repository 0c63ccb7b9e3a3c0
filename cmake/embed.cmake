# netctl_embed(LIB SYMBOL FILES...): a static library with one symbol
#   const struct embedded_file SYMBOL[] = {{"name", "contents", len}, ..., {NULL, NULL, 0}};
# File contents become C string literals at build time (no tools beyond CMake).
function(netctl_embed lib symbol)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${symbol}_embed.c)
  # "|", not ";": a list in a COMMAND argument would be split into separate arguments
  string(REPLACE ";" "|" files "${ARGN}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DSYMBOL=${symbol} "-DFILES=${files}"
            -P ${CMAKE_SOURCE_DIR}/cmake/embed_gen.cmake
    DEPENDS ${ARGN} ${CMAKE_SOURCE_DIR}/cmake/embed_gen.cmake
    COMMENT "Embedding ${symbol}"
    VERBATIM)
  add_library(${lib} STATIC ${out})
  target_include_directories(${lib} PUBLIC ${CMAKE_SOURCE_DIR}/src/common)
endfunction()
