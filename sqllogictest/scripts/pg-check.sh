#!/usr/bin/env bash
# Runs sqllogictest files against a throwaway PostgreSQL 15 cluster, to check that expected
# results (ours and the SQLite corpus's) are what real PostgreSQL answers.
#
#   sqllogictest/scripts/pg-check.sh                        # select1.test and evidence/
#   sqllogictest/scripts/pg-check.sh sqllogictest/sqlite    # the whole corpus (a few minutes)
#   sqllogictest/scripts/pg-check.sh FILE... -- --check sqllogictest/counts-postgresql.tsv
#
# Arguments after `--` go to anchor-slt. The cluster (initdb --locale=C --encoding=UTF8, trust
# authentication on loopback, a free port, data in a temporary folder) runs as a non-root user:
# the current one, or `postgres` (PG_USER) when run as root. It is stopped and removed on exit.
# PG_BIN overrides /usr/lib/postgresql/15/bin.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/.." && pwd)

files=()
extra=()
while [ $# -gt 0 ]; do
    if [ "$1" = "--" ]; then
        shift
        extra=("$@")
        break
    fi
    files+=("$1")
    shift
done
if [ ${#files[@]} -eq 0 ]; then
    files=("$here/sqlite/select1.test" "$here/sqlite/evidence")
fi

(cd "$root" && cargo build --quiet -p anchor-sqllogictest --bin anchor-slt)
slt="$root/target/debug/anchor-slt"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pg-check.XXXXXX")
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
    pg_user=${PG_USER:-postgres}
    chown "$pg_user" "$tmp"
    as_pg=(runuser -u "$pg_user" --)
fi

# A free port: the first in the range that nothing listens on.
port=""
for p in $(seq 54330 54430); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        port=$p
        break
    fi
done
[ -n "$port" ] || { echo "no free port" >&2; exit 1; }

cleanup() {
    "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

"${as_pg[@]}" "$PG_BIN/initdb" -D "$tmp/data" --locale=C --encoding=UTF8 -U slt \
    --auth-local=trust --auth-host=trust >"$tmp/initdb.log" 2>&1 \
    || { cat "$tmp/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w \
    -o "-p $port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" \
    start >/dev/null

echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on port $port"
"$slt" --pg "host=127.0.0.1 port=$port user=slt dbname=postgres" "${extra[@]}" "${files[@]}"
