# Script mode: writes OUT, a C++ file defining `const std::string& tributary::embedded::SYMBOL()` with IN's bytes.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "#include <string>\nnamespace tributary::embedded {\nnamespace { const unsigned char kData[] = {${bytes} 0}; }\nconst std::string& ${SYMBOL}() {\n  static const std::string s(reinterpret_cast<const char*>(kData), sizeof(kData) - 1);\n  return s;\n}\n}  // namespace tributary::embedded\n")
