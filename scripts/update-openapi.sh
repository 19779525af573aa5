#!/usr/bin/env bash
# Rewrites the generated schemas of openapi.json (those marked "x-generated": tools, credentials, remote event
# types, unified models and records) from the connectors' declarations (`tributary openapi openapi.json`).
# Run after changing a connector's credentials or feeds, or a unified model, then rebuild: the binary embeds
# openapi.json, and a test fails while the embedded document differs from its regeneration.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-build/tributary}"
document="$("$binary" openapi openapi.json)"
printf '%s\n' "$document" > openapi.json
echo "openapi.json regenerated"
