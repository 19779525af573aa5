// Simulated tools: each a small HTTP server that behaves like one vendor's API and webhooks, written from
// shared/vendors.md independently of the connector (no shared code for formats or signatures), so a
// misreading of the vendor's documentation cannot pass silently. Every simulator serves the same control API:
//   POST   /_sim/{model}                      create a record (body: partial unified record) → {"remote_id":
//   …} PATCH  /_sim/{model}/{remote_id}           update DELETE /_sim/{model}/{remote_id}           delete
//   POST   /_sim/ats_jobs/{remote_id}/publish  and /unpublish
//   POST   /_sim/permissions                   {"webhooks": false|true}
//   GET    /_sim/subscriptions                 what is subscribed (api tools) or configured (manual tools)
//   POST   /_sim/webhooks                      {url, secret, event_types} — manual tools: what the end
//   customer
//                                              does in the tool's UI
// Each change fires the webhooks the tool really fires, in its format and signature, to every matching
// subscription. Simulators accept any well-formed credentials.
// Extra control endpoints: GET /_sim/deliveries (every delivery attempt: [{url, event, delivery_id, status,
// attempt, at, error?}]), GET /_sim/{model}[/{remote_id}] (the stored vendor representation), GET
// /_sim/permissions, GET /_sim/hosts ({"api": base URL, "auth": the authorization host's base URL or null}),
// GET /_sim/sender ({"pending": N}: webhooks not finished yet), and the faults of sim_base.h (401, 429, and
// a gate that holds requests: POST /_sim/faults {"hold": "/path/prefix"}). Each tool enforces its documented
// API limits by default (429 with Retry-After and the tool's rate-limit headers); POST /_sim/limits changes
// them or switches them off (sim_base.h).
// A tool whose vendor issues tokens from a host of its own (Greenhouse: auth.greenhouse.io) serves them from
// a second listener, auth_base_url(), and not from the API host, so a connector that asks the wrong host
// fails. Retries follow the vendor's schedule multiplied by TRIBUTARY_SIM_RETRY_SCALE (default 0.001: "1 min"
// → 60 ms), or by SimOptions::retry_scale when set. Thread-safety: start()/stop() from the owner; the server
// threads serialise access to the simulated state.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tributary::sim {

struct SimOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::optional<double> retry_scale;  // overrides TRIBUTARY_SIM_RETRY_SCALE when set (must be > 0)
};

class Simulator {
 public:
  virtual ~Simulator() = default;
  virtual Status start() = 0;
  virtual std::uint16_t port() const = 0;
  virtual void stop() = 0;
  std::string base_url() const;  // "http://127.0.0.1:<port>"
  // The authorization host's base URL, "" when the tool has none of its own.
  virtual std::string auth_base_url() const { return ""; }
};

// nullptr for an unknown tool.
std::unique_ptr<Simulator> make_simulator(std::string_view tool, SimOptions options);
std::vector<std::string> simulator_tools();

}  // namespace tributary::sim
