#include "core/ids.h"

#include "core/crypto.h"

namespace tributary {

std::string new_id(std::string_view prefix) {
  std::string out(prefix);
  out += '_';
  out += crypto::random_token(22);
  return out;
}

std::string new_integration_id(std::string_view tool) {
  std::string out(tool);
  out += ':';
  out += crypto::random_token(22);
  return out;
}

}  // namespace tributary
