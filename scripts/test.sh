#!/usr/bin/env bash
# Installs what the tests need, builds, checks formatting, and runs every test: the C++ suites (CTest: unit and
# loopback integration tests on real SQLite and on a throwaway PostgreSQL cluster) and the end-to-end suite
# (Node.js driving the real binary; browser tests in Debian's Chromium).
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

echo "== end-to-end tests, nodes on SQLite (and the multi-node test on PostgreSQL)"
TRIBUTARY_BIN="$PWD/build/tributary" scripts/with-postgres.sh node --test --test-concurrency=1 tests/e2e/*.test.mjs tests/e2e/lib/*.test.mjs

echo "== end-to-end tests, nodes on PostgreSQL"
mapfile -t pg_suites < <(ls tests/e2e/*.test.mjs | grep -v multinode)
TRIBUTARY_E2E_BACKEND=postgres TRIBUTARY_BIN="$PWD/build/tributary" \
  scripts/with-postgres.sh node --test --test-concurrency=1 "${pg_suites[@]}"
