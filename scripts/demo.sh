#!/usr/bin/env bash
# Installs what Tributary needs, builds it, and runs the demo: Tributary on SQLite with simulated Personio and
# Greenhouse and a sample endpoint; a change happens every few seconds. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec ./build/tributary demo "$@"
