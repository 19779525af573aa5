#!/usr/bin/env bash
# Prints the figures issue notes track for the shape of the code: the functions over 80 lines in src/ outside
# tests (universal-ctags), SQL statements outside src/store/, and state names written as string literals
# outside src/store/states.h (tests and simulators excluded).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! ctags --version 2>/dev/null | grep -q "Universal Ctags"; then
  echo "code-metrics: needs Universal Ctags (sudo apt-get install universal-ctags)" >&2
  exit 2
fi
mapfile -t sources < <(git ls-files 'src/*.cc' | grep -v '_test\.cc$')

echo "== functions over 80 lines (src/, tests excluded)"
ctags --fields=+ne --c++-kinds=f -f - "${sources[@]}" 2>/dev/null |
  awk -F'\t' '{ln=""; en=""; for (i = 4; i <= NF; i++) { if ($i ~ /^line:/) ln = substr($i, 6); if ($i ~ /^end:/) en = substr($i, 5) }
               if (en != "" && en - ln + 1 > 80) printf "%5d  %s  %s\n", en - ln + 1, $2, $1}' | sort -rn

echo "== SQL statements outside src/store/"
grep -arnE '"(SELECT|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM) ' src --include=*.cc --include=*.h |
  grep -v '^src/store/\|_test\.cc\|test_support\|/sim/' || echo "none"

echo "== state names as string literals outside src/store/states.h"
states='received|accepted|ignored|duplicate|ping|rejected|pending|sending|succeeded|failed|active|missing_permission|disabled|QUEUED|RUNNING|SUCCEEDED|FAILED|PARTIALLY_FAILED|AUTHENTICATION_FAILED'
grep -arnE "(status|state|outcome)[^\"]{0,12}\"($states)\"" src --include=*.cc --include=*.h |
  grep -v '^src/store/states\.h\|_test\.cc\|test_support\|/sim/' | grep -vE '^[^:]+:[0-9]+: *//' || echo "none"
