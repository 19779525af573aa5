#!/usr/bin/env bash
# Builds the Debian package of Tributary: the `tributary` target (default preset), then CPack's DEB generator
# (cmake/packaging.cmake). The package lands in build/package/; its path is the last line printed.
# Needs dpkg-dev (dpkg-shlibdeps works out the package's dependencies), which scripts/install-deps.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset default >/dev/null
cmake --build --preset default --target tributary -- -j"$(nproc)"
out="$PWD/build/package"
rm -f "$out"/*.deb
(cd build && cpack -G DEB -B "$out" >&2)
ls "$out"/tributary_*.deb
