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

# tributary_embed_dir(target NAME symbol DIR path GLOBS pattern...)
# Embeds every file under DIR matching one of GLOBS (one tributary_embed per file) and generates a .cc that
# defines `const std::vector<std::pair<std::string, const std::string& (*)()>>& tributary::embedded::<symbol>()`:
# each file's path relative to DIR ("app.js", "vendor/preact.mjs") with the function returning its bytes, sorted
# by path. A file added to DIR is picked up on the next build (the glob is CONFIGURE_DEPENDS).
function(tributary_embed_dir target)
  cmake_parse_arguments(E "" "NAME;DIR" "GLOBS" ${ARGN})
  set(patterns "")
  foreach(g ${E_GLOBS})
    list(APPEND patterns ${E_DIR}/${g})
  endforeach()
  file(GLOB_RECURSE files CONFIGURE_DEPENDS LIST_DIRECTORIES false RELATIVE ${E_DIR} ${patterns})
  list(SORT files)
  set(decls "")
  set(entries "")
  foreach(rel ${files})
    string(MAKE_C_IDENTIFIER "${E_NAME}_${rel}" sym)
    tributary_embed(${target} NAME ${sym} FILE ${E_DIR}/${rel})
    string(APPEND decls "const std::string& ${sym}();\n")
    string(APPEND entries "      {\"${rel}\", &${sym}},\n")
  endforeach()
  set(out ${CMAKE_BINARY_DIR}/generated/${E_NAME}.cc)
  file(GENERATE OUTPUT ${out} CONTENT
"#include <string>
#include <utility>
#include <vector>
namespace tributary::embedded {
${decls}
const std::vector<std::pair<std::string, const std::string& (*)()>>& ${E_NAME}() {
  static const std::vector<std::pair<std::string, const std::string& (*)()>> table = {
${entries}  };
  return table;
}
}  // namespace tributary::embedded
")
  target_sources(${target} PRIVATE ${out})
endfunction()
