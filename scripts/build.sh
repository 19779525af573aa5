#!/usr/bin/env bash
# Configures and builds Tributary (build/tributary and the test binaries) with the default preset.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset default >/dev/null
cmake --build --preset default -- -j"$(nproc)"
