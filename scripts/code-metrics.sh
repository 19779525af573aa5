#!/usr/bin/env bash
# Prints the figures issue notes track for the shape of the code: the functions over 80 lines in src/ outside
# tests (universal-ctags), SQL statements outside src/store/, and state names written as string literals
# outside src/store/states.h (tests and simulators excluded).
# --check: fails (exit 1) when a function is over 80 lines or a SQL statement is outside src/store/ (CI).
set -euo pipefail
check=false
[ "${1:-}" = "--check" ] && check=true
cd "$(dirname "$0")/.."
if ! ctags --version 2>/dev/null | grep -q "Universal Ctags"; then
  echo "code-metrics: needs Universal Ctags (sudo apt-get install universal-ctags)" >&2
  exit 2
fi
mapfile -t sources < <(git ls-files 'src/*.cc' | grep -v '_test\.cc$')

echo "== functions over 80 lines (src/, tests excluded)"
long=$(ctags --fields=+ne --c++-kinds=f -f - "${sources[@]}" 2>/dev/null |
  awk -F'\t' '{ln=""; en=""; for (i = 4; i <= NF; i++) { if ($i ~ /^line:/) ln = substr($i, 6); if ($i ~ /^end:/) en = substr($i, 5) }
               if (en != "" && en - ln + 1 > 80) printf "%5d  %s  %s\n", en - ln + 1, $2, $1}' | sort -rn)
echo "${long:-none}"

echo "== SQL statements outside src/store/"
sql=$(grep -arnE '"(SELECT|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM) ' src --include=*.cc --include=*.h |
  grep -v '^src/store/\|_test\.cc\|test_support\|/sim/' || true)
echo "${sql:-none}"

echo "== state names as string literals outside src/store/states.h"
states='received|accepted|ignored|duplicate|ping|rejected|pending|sending|succeeded|failed|active|missing_permission|disabled|QUEUED|RUNNING|SUCCEEDED|FAILED|PARTIALLY_FAILED|AUTHENTICATION_FAILED'
grep -arnE "(status|state|outcome)[^\"]{0,12}\"($states)\"" src --include=*.cc --include=*.h |
  grep -v '^src/store/states\.h\|_test\.cc\|test_support\|/sim/' | grep -vE '^[^:]+:[0-9]+: *//' || echo "none"

if $check && { [ -n "$long" ] || [ -n "$sql" ]; }; then
  echo "code-metrics: split the functions over 80 lines and move SQL into src/store/" >&2
  exit 1
fi
