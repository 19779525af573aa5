// The context a connector calls a tool with on behalf of one integration: the tool's hosts (the integration's
// overrides, else the connector's defaults), the decrypted credentials and the integration's id. Built the
// same way by every stage that calls a tool (reconciler, targeted fetch, sync), with the integration's API
// budget from the node's Budgets (pipeline/budgets.h), which every call to the tool takes its grant from.
// Thread-safety: stateless.
#pragma once

#include <chrono>

#include "connectors/connector.h"
#include "core/secret_box.h"
#include "http/client.h"
#include "pipeline/budgets.h"
#include "store/integrations_repo.h"

namespace tributary::pipeline {

// Credentials that do not open (sealed under another master key, or tampered with) leave `credentials`
// empty: the tool then refuses the calls, and that refusal is what the operator sees.
// `budgets` null: no budget (unlimited; tests of a single stage). `priority`: kFetch for targeted fetches of
// fresh events, kBackground for everything else.
connectors::ApiContext api_context(const store::IntegrationRow& integration,
                                   const connectors::Connector& connector, const SecretBox& secrets,
                                   http::HttpClient& client, std::chrono::milliseconds timeout,
                                   Budgets* budgets = nullptr, Priority priority = Priority::kBackground);

}  // namespace tributary::pipeline
