#!/usr/bin/env bash
# Brings the clients others wrote against the real tools, which tests/e2e/clients.test.mjs runs against our
# simulators: only the files the test loads, from the npm registry's tarball of a pinned version (npm checks
# the tarball against the registry's integrity hash). They land in tests/e2e/clients/ (not in the repository).
set -euo pipefail
cd "$(dirname "$0")/../tests/e2e"

N8N_VERSION=2.41.2  # n8n-nodes-base: the Workable Trigger node, the BambooHR node's employee operations
dest="clients/n8n-nodes-base-${N8N_VERSION}"
files=(package/package.json package/LICENSE.md
  package/dist/nodes/Workable/GenericFunctions.js package/dist/nodes/Workable/WorkableTrigger.node.js
  package/dist/nodes/BambooHr/v1/transport/index.js
  package/dist/nodes/BambooHr/v1/actions/employee/get/execute.js
  package/dist/nodes/BambooHr/v1/actions/employee/getAll/execute.js)
missing=0
for f in "${files[@]}"; do [ -f "${dest}/${f#package/}" ] || missing=1; done
if [ "${missing}" = 1 ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "${work}"' EXIT
  (cd "${work}" && npm pack --silent --loglevel=error "n8n-nodes-base@${N8N_VERSION}" >/dev/null)
  mkdir -p "${dest}"
  tar -xzf "${work}/n8n-nodes-base-${N8N_VERSION}.tgz" -C "${dest}" --strip-components=1 "${files[@]}"
fi
