// Greenhouse's webhook wire format, written from shared/vendors.md and Greenhouse's web hook documentation,
// independently of connectors/greenhouse: the JSON body as Greenhouse serialises it and its signature.
// Thread-safety: stateless functions.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

namespace tributary::sim::greenhouse {

// Serialises like Greenhouse (Rails): '<', '>' and '&' are escaped as \u003c, \u003e, \u0026, and
// U+2028/U+2029 as \u2028/\u2029, so the bytes differ from a plain re-serialisation: a receiver must verify
// the raw body.
std::string to_wire_json(const boost::json::value& body);

// The `Signature` header value: "sha256 " + hex HMAC-SHA256(secret, body), over the exact bytes sent.
std::string signature_header(std::string_view secret, std::string_view body);

// {"action": action, "payload": payload}
boost::json::object envelope(std::string_view action, boost::json::value payload);

}  // namespace tributary::sim::greenhouse
