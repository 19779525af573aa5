#!/usr/bin/env bash
# Installs everything Tributary needs to build, run and test, from Debian's packages and npm only.
# Idempotent: packages already present are skipped quickly.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build pkg-config clang-format ccache
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libcurl4-openssl-dev libssl-dev libsqlite3-dev libpq-dev
  libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  curl ca-certificates
  dpkg-dev
)
# Node.js (with npm) runs the end-to-end checks; some machines carry a newer Node.js that bundles npm.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
if [ "${1:-}" = "--test" ]; then
  # clang-14: the thread-safety analysis and the fuzz targets; libclang-rt-14-dev holds clang's libFuzzer,
  # ASan and UBSan runtimes (only recommended by clang-14, so named here). gcc's ASan/UBSan runtimes for the
  # asan preset come with g++ (libasan8, libubsan1).
  # systemd: systemd-analyze verifies the packaged unit (tests/package/).
  packages+=(postgresql chromium chromium-driver clang-14 libclang-rt-14-dev universal-ctags systemd)
fi
if [ "${1:-}" = "--bench" ]; then
  packages+=(nginx-light wrk)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" = "--test" ] && [ -f tests/e2e/package.json ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
  scripts/fetch-clients.sh
fi
