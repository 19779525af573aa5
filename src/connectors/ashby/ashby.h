// Ashby (ATS). An RPC-style API (POST https://api.ashbyhq.com/<method>, HTTP Basic with the API key as the
// user and a blank password). One webhook per webhookType (webhook.create), each signed with the secretToken
// we choose: `Ashby-Signature: sha256=<hex HMAC-SHA256(secretToken, raw body)>`. On creation Ashby sends a
// signed ping ({"action":"ping"}), parsed as a ping after verification.
//
// De-duplication: every payload carries `webhookActionId`, the same across retries of one event and across
// the related webhooks one action fires (jobPostingPublish/Unpublish also fire a jobPostingUpdate with the
// same id). The delivery id is `<webhookActionId>:<action>`, so retries collapse while the publish and its
// companion update stay distinct deliveries; a jobPostingUpdate whose webhookActionId was already seen on a
// publish or unpublish (a bounded per-process memory, filled only after verification) maps to no unified
// event. When the update arrives first, or on another node, both are relayed: an extra "job updated", never a
// lost publish.
//
// Thread-safety: every method may be called from any thread; the only state is that memory, behind a mutex.
#pragma once

#include "connectors/registry.h"

namespace tributary::connectors {

void register_ashby(Registry& registry);

}  // namespace tributary::connectors
