#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL cluster: initdb in a temp dir, listening on 127.0.0.1 on a free
# port (and on a unix socket inside the temp dir only), with one database `tributary_test`. TCP connections
# need the cluster's password (scram-sha-256, a random one per run): another local user cannot reach the test
# database through the port. The command sees
# TRIBUTARY_TEST_POSTGRES_URL=postgres://<user>:<password>@127.0.0.1:<port>/tributary_test; the cluster is
# stopped and its directory removed when the command ends, however it ends.
#   scripts/with-postgres.sh ctest --preset default
# initdb refuses to run as root: as root the server runs as the `postgres` system user (Debian's postgresql
# package creates it) and owns the temp dir.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

pg_bin="${TRIBUTARY_PG_BIN:-/usr/lib/postgresql/15/bin}"
for tool in initdb pg_ctl postgres; do
  if [ ! -x "$pg_bin/$tool" ]; then
    echo "with-postgres: $pg_bin/$tool not found (apt-get install postgresql, or set TRIBUTARY_PG_BIN)" >&2
    exit 1
  fi
done

as_pg=()
pg_user="$(id -un)"
if [ "$(id -u)" -eq 0 ]; then
  if ! id -u postgres >/dev/null 2>&1; then
    echo "with-postgres: running as root and there is no 'postgres' user to run the server as" >&2
    exit 1
  fi
  as_pg=(runuser -u postgres --)
  pg_user=postgres
fi

# A free TCP port on 127.0.0.1: bind to port 0 and read back what the kernel chose. The small window before the
# server binds it is covered by retrying with a new port below.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
    echo $((20000 + RANDOM % 20000))
}

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tributary-pg.XXXXXX")"
data="$tmp/data"
started=0

cleanup() {
  local rc=$?
  if [ "$started" -eq 1 ]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

chmod 700 "$tmp"
password="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$password" >"$tmp/pwfile"
chmod 600 "$tmp/pwfile"
[ "${#as_pg[@]}" -eq 0 ] || chown -R postgres: "$tmp"

# The unix socket (inside the 0700 temp dir) trusts its owner; TCP asks for the password.
"${as_pg[@]}" "$pg_bin/initdb" -D "$data" --auth-local=trust --auth-host=scram-sha-256 --pwfile="$tmp/pwfile" \
  -U "$pg_user" -E UTF8 --locale=C.UTF-8 >"$tmp/initdb.log" 2>&1 || {
  cat "$tmp/initdb.log" >&2
  exit 1
}

port=""
for attempt in 1 2 3 4 5; do
  port="$(free_port)"
  # fsync stays on (the default): the tests check durability claims, not a faster cluster.
  if "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data" -l "$tmp/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=on -c max_connections=200" start >/dev/null; then
    started=1
    break
  fi
  echo "with-postgres: start on port $port failed (attempt $attempt)" >&2
  tail -n 5 "$tmp/server.log" >&2 || true
done
if [ "$started" -ne 1 ]; then
  echo "with-postgres: could not start PostgreSQL" >&2
  exit 1
fi

"${as_pg[@]}" "$pg_bin/psql" -h "$tmp" -p "$port" -U "$pg_user" -d postgres -v ON_ERROR_STOP=1 -q \
  -c "CREATE DATABASE tributary_test" >/dev/null

# The port must refuse a connection without the password.
if PGPASSWORD= psql -X -w -q -h 127.0.0.1 -p "$port" -U "$pg_user" -d tributary_test -c 'SELECT 1' >/dev/null 2>&1; then
  echo "with-postgres: the cluster accepted a TCP connection without its password" >&2
  exit 1
fi
export TRIBUTARY_TEST_POSTGRES_URL="postgres://$pg_user:$password@127.0.0.1:$port/tributary_test"
echo "with-postgres: PostgreSQL on 127.0.0.1:$port ($tmp)" >&2
set +e
"$@"
rc=$?
set -e
exit "$rc"
