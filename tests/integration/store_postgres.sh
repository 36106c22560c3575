#!/usr/bin/env bash
# Runs the store test suite (test_store_sqlite, which takes its location from
# AVOW_TEST_STORE) and the CLI's key/collateral commands against a REAL
# throwaway PostgreSQL server: initdb in a temp dir, pg_ctl on a free
# 127.0.0.1 port with the socket in that dir, createdb; stopped and removed on
# exit, even on failure. As root, the server runs as the postgres user.
set -euo pipefail

: "${AVOW_BUILD:?}" "${AVOW_BIN:?}" "${AVOW_VECTORS:?}"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $pgbin/initdb ]] || { echo "store_postgres: PostgreSQL server binaries not found (run scripts/setup.sh)"; exit 1; }

tmp=$(mktemp -d /tmp/avow-pg-XXXXXX)
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
    chown postgres "$tmp"
    as_pg=(runuser -u postgres --)
fi
cleanup() {
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$pgbin/initdb" -D "$tmp/pg" -A trust -U avow --no-sync >"$tmp/initdb.log" 2>&1 ||
    { cat "$tmp/initdb.log"; exit 1; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w -t 60 \
    -o "-p $port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
    { cat "$tmp/pg.log"; exit 1; }
"${as_pg[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U avow avowtest
"${as_pg[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U avow avowcli
uri="postgresql://avow@127.0.0.1:$port/avowtest"
cli_uri="postgresql://avow@127.0.0.1:$port/avowcli"

echo "== store suite against $uri"
AVOW_TEST_STORE="$uri" "$AVOW_BUILD/test_store_sqlite"

echo "== CLI against $cli_uri"
kid1=$("$AVOW_BIN" key rotate --data "$cli_uri")
kid2=$("$AVOW_BIN" key rotate --data "$cli_uri" --cn "https://avow.test")
[[ $kid1 =~ ^[A-Za-z0-9_-]{43}$ && $kid2 =~ ^[A-Za-z0-9_-]{43}$ && $kid1 != "$kid2" ]] ||
    { echo "bad kids: $kid1 $kid2"; exit 1; }
show=$("$AVOW_BIN" key show --data "$cli_uri")
grep -q "^$kid2 .* active$" <<<"$show" || { echo "$show"; exit 1; }
grep -q "^$kid1 .* published$" <<<"$show" || { echo "$show"; exit 1; }
if grep -q "PRIVATE" <<<"$show"; then echo "key show printed a private key"; exit 1; fi

"$AVOW_BIN" collateral import --data "$cli_uri" "$AVOW_VECTORS/dcap/R1-dcaprs-sgx-v3-tcbv2/collateral.json"
out=$("$AVOW_BIN" collateral show --data "$cli_uri" --json)
python3 - "$out" <<'PY'
import json, sys
rows = json.loads(sys.argv[1])
assert len(rows) == 1, rows
r = rows[0]
assert (r["fmspc"], r["ca"], r["tee"]) == ("00606a000000", "platform", "sgx"), r
assert 1740713705 <= r["next_update_unix"] <= 1742009382, r
PY
# The schema is shared: the same database opened twice is fine (migrations idempotent).
"$AVOW_BIN" collateral show --data "$cli_uri" >/dev/null
echo "store_postgres: ok"
