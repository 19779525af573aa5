# tributary_embed(target NAME symbol FILE path)
# Generates a .cc that defines `const std::string& <symbol>()` returning the file's bytes, re-generated when the
# file changes, and adds it to `target`.
function(tributary_embed target)
  cmake_parse_arguments(E "" "NAME;FILE" "" ${ARGN})
  set(out ${CMAKE_BINARY_DIR}/generated/${E_NAME}.cc)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DIN=${E_FILE} -DOUT=${out} -DSYMBOL=${E_NAME} -P ${CMAKE_SOURCE_DIR}/cmake/embed_file.cmake
    DEPENDS ${E_FILE} ${CMAKE_SOURCE_DIR}/cmake/embed_file.cmake
    COMMENT "Embedding ${E_FILE}")
  target_sources(${target} PRIVATE ${out})
endfunction()
