#!/usr/bin/env bash
# Clang's thread-safety analysis over every source file in src/ (tests included): each file is compiled with
# clang++ -fsyntax-only -Wthread-safety -Werror=thread-safety, with the include paths and definitions the
# build uses (build/compile_commands.json; run scripts/build.sh first). Members annotated GUARDED_BY must be
# touched only under their mutex (core/mutex.h); a violation fails the script with the compiler's message.
# Usage: scripts/thread-safety.sh [file.cc ...]   (default: all of src/)
set -euo pipefail
cd "$(dirname "$0")/.."
clang=$(command -v clang++-14 || command -v clang++ || true)
if [ -z "$clang" ]; then
  echo "thread-safety: clang++ is missing (apt-get install clang-14, or scripts/install-deps.sh --test)" >&2
  exit 1
fi
[ -f build/compile_commands.json ] || { echo "thread-safety: run scripts/build.sh first" >&2; exit 1; }
node - "$clang" "$(nproc)" "$@" <<'NODE'
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const [clang, jobs, ...only] = process.argv.slice(2);
const root = process.cwd();
const wanted = new Set(only.map((f) => path.resolve(root, f)));
const entries = JSON.parse(fs.readFileSync("build/compile_commands.json", "utf8")).filter(
  (e) => e.file.startsWith(path.join(root, "src") + path.sep) && (wanted.size === 0 || wanted.has(e.file)));
// The build's own flags, less the compiler, its outputs, warnings-as-errors and the gcc precompiled header.
function flags(command) {
  const args = command.match(/(?:[^\s"\\]+|"(?:\\.|[^"\\])*"|\\.)+/g).map((a) => a.replace(/\\"/g, '"').replace(/^"(.*)"$/, "$1"));
  const out = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (i === 0 || /ccache$/.test(a) || /(^|\/)(c\+\+|g\+\+)$/.test(a)) continue;
    if (a === "-o" || a === "-MF" || a === "-MT" || a === "-include" || a === "-Xclang") { i++; continue; }
    if (a === "-c" || a === "-MD" || a === "-Werror" || a.startsWith("-Winvalid-pch") || a === "-g") continue;
    if (a === "-O2" || a === "-O3") continue;
    out.push(a);
  }
  return out;
}
let failed = 0, next = 0, running = 0;
function start() {
  while (running < Number(jobs) && next < entries.length) {
    const e = entries[next++];
    running++;
    const args = [...flags(e.command), "-fsyntax-only", "-Wno-everything", "-Wthread-safety",
                  "-Werror=thread-safety"];
    const child = spawn(clang, args, { cwd: e.directory });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => {
      running--;
      if (code !== 0) {
        failed++;
        process.stderr.write(`== ${path.relative(root, e.file)}\n${err}`);
      }
      if (next < entries.length) start();
      else if (running === 0) finish();
    });
  }
}
function finish() {
  console.log(`thread-safety: ${entries.length} files checked, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
if (entries.length === 0) finish(); else start();
NODE
