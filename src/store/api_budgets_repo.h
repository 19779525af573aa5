// The API budgets' shared windows on PostgreSQL (core/api_budget.h): per integration, the times of the
// grants inside the current window (api_budget_grants) and until when the tool asked to be left alone
// (api_budgets.paused_until). Every grant is one short transaction that locks the integration's
// api_budgets row, so the nodes of one database take their grants one at a time and together never exceed
// the window. The times are the nodes' clocks: nodes of one database keep them in step (NTP).
// Thread-safety: functions are stateless; each call uses the caller's Connection, outside any transaction
// (each runs its own).
#pragma once

#include <string>

#include "core/clock.h"
#include "store/database.h"

namespace tributary::store::api_budgets {

// Records a grant at `now` when fewer than `requests` grants fall in (now - window_ms, now] and the
// integration is not paused, returning 0; otherwise the milliseconds until one may fit (at least 1).
// Grants that left the window are deleted on the way.
Result<Millis> try_grant(Connection& c, const std::string& integration_id, int requests, Millis window_ms,
                         Millis now);
// Refuses grants until `until` (an earlier pause than the one in force changes nothing).
Status pause(Connection& c, const std::string& integration_id, Millis until);
// Forgets an integration's window (hard deletion).
Status forget(Connection& c, const std::string& integration_id);

}  // namespace tributary::store::api_budgets
