#include "sim/greenhouse/greenhouse_format.h"

#include "core/crypto.h"
#include "core/json.h"

namespace tributary::sim::greenhouse {

std::string to_wire_json(const boost::json::value& body) {
  // '<', '>', '&' and the U+2028/U+2029 byte sequences never occur in JSON structure, only inside strings, so
  // replacing them over the whole text escapes exactly the string contents.
  std::string plain = json::serialize(body);
  std::string out;
  out.reserve(plain.size() + 16);
  for (std::size_t i = 0; i < plain.size(); ++i) {
    char c = plain[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < plain.size() && plain[i + 1] == '\x80' &&
               (plain[i + 2] == '\xA8' || plain[i + 2] == '\xA9')) {
      out += plain[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string signature_header(std::string_view secret, std::string_view body) {
  return "sha256 " + crypto::hex_encode(crypto::hmac_sha256(secret, body));
}

boost::json::object envelope(std::string_view action, boost::json::value payload) {
  boost::json::object o;
  o["action"] = action;
  o["payload"] = std::move(payload);
  return o;
}

}  // namespace tributary::sim::greenhouse
