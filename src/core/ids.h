// Identifiers. Every id is a prefix plus random characters, so ids are unguessable and say what they name.
#pragma once

#include <string>
#include <string_view>

namespace tributary {

// "<prefix>_<8 characters of creation time><16 random alphanumerics>" — time-ordered and unguessable (≈95
// random bits) — or "<tool>:<22 random alphanumerics>" for integrations (Kombo's shape).
std::string new_id(std::string_view prefix);
std::string new_integration_id(std::string_view tool);

}  // namespace tributary
