#!/usr/bin/env bash
# Builds the Debian package (scripts/package.sh) and checks it: the binary, the systemd unit and the
# configuration file are in it, the configuration file is a conffile, the maintainer scripts are there and
# parse, the dependencies were worked out; the unit passes `systemd-analyze verify` (where systemd-analyze is
# installed); and the binary unpacked from it, with the shipped configuration, migrates a scratch SQLite
# database and serves /healthz on a free loopback port until SIGTERM stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() { echo "package test: FAIL: $*" >&2; exit 1; }
pass() { echo "package test: ok: $*"; }

deb="$(scripts/package.sh | tail -n1)"
[ -f "$deb" ] || fail "scripts/package.sh made no package"
echo "package test: $deb"

scratch="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

# Contents.
contents="$(dpkg-deb -c "$deb")"
for path in ./usr/bin/tributary ./lib/systemd/system/tributary.service ./etc/tributary/tributary.toml \
  ./usr/share/doc/tributary/README.md; do
  grep -qE " ${path//./\\.}\$" <<<"$contents" || fail "$path is not in the package"
done
grep -qE '^-rwxr-xr-x .* \./usr/bin/tributary$' <<<"$contents" || fail "/usr/bin/tributary is not executable"
pass "binary, unit, configuration file and README in the package"

info="$(dpkg-deb -I "$deb")"
for member in conffiles postinst prerm postrm; do
  grep -qE "^ +[0-9]+ bytes, +[0-9]+ lines +\*? *$member( |$)" <<<"$info" || fail "control member $member missing"
done
[ "$(dpkg-deb -I "$deb" conffiles)" = "/etc/tributary/tributary.toml" ] \
  || fail "conffiles does not list exactly /etc/tributary/tributary.toml"
depends="$(dpkg-deb -f "$deb" Depends)"
for lib in libc6 libsqlite3 libpq5 libcurl4 libssl3 libboost-json1.81; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
pass "conffile, maintainer scripts; Depends: $depends"

dpkg-deb -e "$deb" "$scratch/control"
for script in postinst prerm postrm; do
  sh -n "$scratch/control/$script" || fail "$script does not parse"
done

# The maintainer scripts run with the system commands they call replaced by stubs that log their arguments
# (getent finds the user and group when $STUB_USER_EXISTS is 1), so nothing on this machine changes.
stubs="$scratch/stubs"
mkdir -p "$stubs"
for cmd in addgroup adduser groupadd useradd deluser delgroup userdel groupdel chown chmod rm systemctl \
  dpkg-statoverride; do
  # shellcheck disable=SC2016 # the stub expands them
  printf '#!/bin/sh\necho "%s $*" >>"$STUB_LOG"\n[ "%s" != dpkg-statoverride ]\n' "$cmd" "$cmd" >"$stubs/$cmd"
done
# shellcheck disable=SC2016
printf '#!/bin/sh\n[ "$STUB_USER_EXISTS" = 1 ]\n' >"$stubs/getent"
chmod +x "$stubs"/*
run_script() {  # run_script <script> <user exists: 0|1> <args...>; prints the calls it made
  local script="$1" exists="$2"
  shift 2
  : >"$scratch/calls"
  STUB_LOG="$scratch/calls" STUB_USER_EXISTS="$exists" PATH="$stubs:$PATH" sh "$scratch/control/$script" "$@" \
    || fail "$script $* exited with an error"
  cat "$scratch/calls"
}
calls="$(run_script postinst 0 configure "")"
grep -q '^addgroup --system .*tributary$' <<<"$calls" || fail "postinst made no group: $calls"
grep -q '^adduser --system .*--ingroup tributary .*tributary$' <<<"$calls" || fail "postinst made no user: $calls"
grep -q '^chown root:tributary /etc/tributary/tributary.toml$' <<<"$calls" || fail "postinst: $calls"
grep -q '^chmod 0640 /etc/tributary/tributary.toml$' <<<"$calls" || fail "postinst: $calls"
calls="$(run_script postinst 1 configure 0.1.0)"
grep -qE '^(addgroup|adduser|groupadd|useradd) ' <<<"$calls" && fail "postinst made a user that exists: $calls"
calls="$(run_script postrm 1 remove)"
grep -qE '^(rm|deluser|delgroup|userdel|groupdel) ' <<<"$calls" && fail "postrm remove deleted something: $calls"
calls="$(run_script postrm 1 purge)"
grep -q '^rm -rf /var/lib/tributary' <<<"$calls" || fail "postrm purge kept the state: $calls"
grep -q '^deluser --system --quiet tributary$' <<<"$calls" || fail "postrm purge kept the user: $calls"
grep -q '^delgroup --system --quiet tributary$' <<<"$calls" || fail "postrm purge kept the group: $calls"
pass "maintainer scripts: user and group made once, configuration file 0640 root:tributary, state removed on purge only"

root="$scratch/root"
dpkg-deb -x "$deb" "$root"
unit="$root/lib/systemd/system/tributary.service"
for setting in Type=notify User=tributary Group=tributary StateDirectory=tributary ProtectSystem=strict \
  ProtectHome=yes NoNewPrivileges=yes PrivateTmp=yes Restart=on-failure TimeoutStopSec=; do
  grep -q "^$setting" "$unit" || fail "the unit lacks $setting"
done
if command -v systemd-analyze >/dev/null 2>&1; then
  # A copy of the unit whose ExecStart names the unpacked binary (verify checks that it is executable).
  sed "s|^ExecStart=/usr/bin/tributary |ExecStart=$root/usr/bin/tributary |" "$unit" >"$scratch/tributary.service"
  verify_out="$(systemd-analyze verify "$scratch/tributary.service" 2>&1)" || fail "systemd-analyze verify: $verify_out"
  [ -z "$verify_out" ] || fail "systemd-analyze verify complained: $verify_out"
  pass "systemd-analyze verify"
else
  echo "package test: skipped: systemd-analyze verify (systemd-analyze is not installed)"
fi

# The unpacked binary with the shipped configuration; the database and the listener moved to the scratch
# directory and a free loopback port through the environment (which wins over the file).
bin="$root/usr/bin/tributary"
config="$root/etc/tributary/tributary.toml"
export TRIBUTARY_DATABASE="$scratch/state/tributary.db" TRIBUTARY_LISTEN="127.0.0.1:0"
"$bin" --config "$config" migrate >"$scratch/migrate.log" 2>&1 || fail "migrate: $(cat "$scratch/migrate.log")"
[ -f "$scratch/state/tributary.db" ] || fail "migrate created no database"
pass "migrate on a scratch SQLite database"

"$bin" --config "$config" serve >"$scratch/serve.log" 2>&1 &
server_pid=$!
base=""
for _ in $(seq 1 300); do
  base="$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$scratch/serve.log" | head -n1 | sed 's/listening on //')" || true
  [ -n "$base" ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "serve exited: $(cat "$scratch/serve.log")"
  sleep 0.1
done
[ -n "$base" ] || fail "serve did not report its address within 30 s: $(cat "$scratch/serve.log")"
health="$(curl -fsS --max-time 10 "$base/healthz")" || fail "GET $base/healthz failed"
pass "serve on $base, /healthz: $health"

kill -TERM "$server_pid"
status=0
for _ in $(seq 1 300); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$server_pid" 2>/dev/null && fail "serve still running 30 s after SIGTERM"
wait "$server_pid" || status=$?
server_pid=""
[ "$status" -eq 0 ] || fail "serve exited with $status after SIGTERM: $(tail -n 20 "$scratch/serve.log")"
grep -q stopped "$scratch/serve.log" || fail "serve did not log its stop"
pass "SIGTERM stopped serve cleanly"
echo "package test: all checks passed"
