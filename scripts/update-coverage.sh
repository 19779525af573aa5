#!/usr/bin/env bash
# Rewrites the coverage table in README.md from the connectors' declarations (`tributary coverage --markdown`).
# Run after changing a connector's feeds; a test fails while the README's table differs from the generated one.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-build/tributary}"
table="$("$binary" coverage --markdown)"
TABLE="$table" python3 - <<'PY'
import os, re
path = "README.md"
text = open(path, encoding="utf-8").read()
begin = text.index("<!-- coverage:begin")
begin_end = text.index("\n", begin) + 1
end = text.index("<!-- coverage:end -->")
text = text[:begin_end] + os.environ["TABLE"] + "\n" + text[end:]
open(path, "w", encoding="utf-8").write(text)
PY
echo "README.md coverage table updated"
