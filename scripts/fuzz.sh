#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, the `fuzz` preset: clang 14, ASan + UBSan) and runs each for N seconds
# (default 30) from its seed corpus; fails on the first crash, leak, sanitizer report or timeout.
#
# Usage: scripts/fuzz.sh [seconds] [target ...]     targets: connectors http server_request config cursor
#
# Seeds: fuzz/corpus/<target>/ (committed: hand-written inputs and every input that once crashed), plus for
# `connectors` one seed per signed vector and example payload in src/connectors/*/testdata/, written by the
# target itself. What a run discovers is kept in build-fuzz/corpus/<target>/ and reused by the next run; a
# crashing input is saved as build-fuzz/artifacts/<target>/crash-… (reproduce: build-fuzz/fuzz/fuzz_<target>
# <file>). Each run ends with libFuzzer's stat::number_of_executed_units.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(connectors http server_request config cursor)

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target fuzzers -- -j"$(nproc)"

rm -rf build-fuzz/seeds build-fuzz/tmp
mkdir -p build-fuzz/tmp
export TMPDIR="$PWD/build-fuzz/tmp"  # the config target writes its TOML file here
TRIBUTARY_FUZZ_WRITE_SEEDS=build-fuzz/seeds/connectors build-fuzz/fuzz/fuzz_connectors

for t in "${targets[@]}"; do
  bin="build-fuzz/fuzz/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz: no target $t" >&2; exit 1; }
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/artifacts/$t"
  dirs=("build-fuzz/corpus/$t")
  for d in "fuzz/corpus/$t" "build-fuzz/seeds/$t"; do
    [ -d "$d" ] && dirs+=("$d")
  done
  echo "== fuzz $t for ${seconds}s"
  log="build-fuzz/artifacts/$t/last-run.log"
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: a leak or blow-up fails the run.
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/artifacts/$t/" "${dirs[@]}" >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz: $t failed; the input is in build-fuzz/artifacts/$t/" >&2
    exit 1
  fi
  grep -E "stat::number_of_executed_units|stat::average_exec_per_sec" "$log" | sed "s/^/  $t: /"
done
