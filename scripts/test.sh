#!/usr/bin/env bash
# Installs what the tests need, builds, checks formatting, and runs every test: the C++ suites (CTest: unit and
# loopback integration tests on real SQLite and on a throwaway PostgreSQL cluster; again built with ASan + UBSan,
# on both), the Debian package (built, inspected, its binary run), the fuzz targets for 30 s each, and the
# end-to-end suite (Node.js driving the real binary; browser tests in Debian's Chromium), after which no secret
# it used may be found in clear text in what the nodes wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/build.sh

echo "== format check"
mapfile -t sources < <(git ls-files 'src/*.h' 'src/*.cc' 'bench/*.h' 'bench/*.cc')
clang-format --dry-run --Werror "${sources[@]}"

echo "== code shape: no function over 80 lines, SQL only in src/store/"
scripts/code-metrics.sh --check

echo "== thread-safety analysis (clang -Wthread-safety)"
scripts/thread-safety.sh

echo "== C++ tests"
scripts/with-postgres.sh ctest --preset default -j"$(nproc)"

echo "== Debian package: contents, systemd unit, the packaged binary migrating and serving (tests/package/)"
tests/package/package_test.sh

echo "== C++ tests built with ASan + UBSan (build-asan/; SQLite and PostgreSQL)"
cmake --preset asan >/dev/null
cmake --build --preset asan -- -j"$(nproc)"
scripts/with-postgres.sh ctest --preset asan -j"$(nproc)"

echo "== fuzz targets, 30 s each (fuzz/, build-fuzz/)"
scripts/fuzz.sh 30

# The end-to-end runs collect what the secret scan searches: the nodes' logs, data dirs and database dumps.
scan_dir="$(mktemp -d)"
trap 'rm -rf "$scan_dir"' EXIT

echo "== end-to-end tests, nodes on SQLite (and the multi-node test on PostgreSQL)"
TRIBUTARY_E2E_SCAN_DIR="$scan_dir/sqlite" TRIBUTARY_BIN="$PWD/build/tributary" \
  scripts/with-postgres.sh node --test --test-concurrency=1 tests/e2e/*.test.mjs tests/e2e/lib/*.test.mjs

echo "== end-to-end tests, nodes on PostgreSQL"
mapfile -t pg_suites < <(ls tests/e2e/*.test.mjs | grep -v multinode)
TRIBUTARY_E2E_SCAN_DIR="$scan_dir/postgres" TRIBUTARY_E2E_BACKEND=postgres TRIBUTARY_BIN="$PWD/build/tributary" \
  scripts/with-postgres.sh node --test --test-concurrency=1 "${pg_suites[@]}"

echo "== no secret of the end-to-end runs in clear text in their logs, SQLite files or PostgreSQL dumps"
for backend in sqlite postgres; do
  TRIBUTARY_E2E_SCAN_DIR="$scan_dir/$backend" node --test tests/e2e/secret_scan.mjs
done
