#!/usr/bin/env bash
# Runs the store test suite (test_store_sqlite, which takes its location from
# AVOW_TEST_STORE) and the CLI's key/collateral commands (also as a role that
# may only read and write rows) against a REAL
# throwaway PostgreSQL server (avowd_lib/postgres.bash: initdb in a temp dir,
# pg_ctl on a free 127.0.0.1 port), stopped and removed on exit, even on
# failure.
set -euo pipefail

: "${AVOW_BUILD:?}" "${AVOW_BIN:?}" "${AVOW_VECTORS:?}"
source "$(dirname "$0")/avowd_lib/postgres.bash"
trap pg_cleanup EXIT
pg_init
uri=$(pg_createdb avowtest)
cli_uri=$(pg_createdb avowcli)

echo "== store suite against $uri"
AVOW_TEST_STORE="$uri" "$AVOW_BUILD/test_store_sqlite"
echo "== rollback marks against $uri"
AVOW_TEST_STORE="$uri" "$AVOW_BUILD/test_store_marks"
ev_uri=$(pg_createdb avowevalnum)
echo "== collateral per TCB evaluation number against $ev_uri"
AVOW_TEST_STORE="$ev_uri" "$AVOW_BUILD/test_store_evalnum"

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

# Once migrated, the store needs no more than row access: a role that may
# only read and write rows (no CREATE) uses it, as replicas may (docs/security.md).
pg_psql avowcli "CREATE ROLE avowapp LOGIN;
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO avowapp"
app_uri="postgresql://avowapp@127.0.0.1:$PG_PORT/avowcli"
kid3=$("$AVOW_BIN" key rotate --data "$app_uri")
grep -q "^$kid3 .* active$" <<<"$("$AVOW_BIN" key show --data "$app_uri")" || { echo "row-only role: rotate failed"; exit 1; }
if pg_psql avowcli "SET ROLE avowapp; CREATE TABLE nope (x int)" 2>/dev/null; then
    echo "the row-only role could create a table"; exit 1
fi
# `avow collateral import` keeps two evaluation numbers of one platform side
# by side in PostgreSQL too, and the evaluation numbers document with them.
sim=$(mktemp -d)
"$AVOW_BIN" sim init "$sim/plat" >/dev/null
"$AVOW_BIN" sim quote --platform "$sim/plat" --out "$sim/q17" --eval-num 17 >/dev/null
"$AVOW_BIN" sim quote --platform "$sim/plat" --out "$sim/q18" --eval-num 18 --tcb-status OutOfDate >/dev/null
"$AVOW_BIN" sim evalnums --platform "$sim/plat" --out "$sim/ev" --number 17,2026-01-01T00:00:00Z \
    --number 18,2026-06-01T00:00:00Z >/dev/null
sets_uri=$(pg_createdb avowsets)
"$AVOW_BIN" collateral import --data "$sets_uri" --root "$sim/q17/root.pem" \
    --evalnums "$sim/ev/evalnums.json" --chain "$sim/ev/evalnums-chain.pem" \
    "$sim/q18/collateral.json" "$sim/q17/collateral.json" >/dev/null
"$AVOW_BIN" collateral show --data "$sets_uri" --sets --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert [r["eval_num"] for r in rows] == [17, 18], rows' || { echo "PostgreSQL: sets 17 and 18 not both kept"; exit 1; }
[[ $(pg_psql avowsets "SELECT eval_num FROM collateral") == 18 ]] || { echo "PostgreSQL: current set is not 18"; exit 1; }
[[ $(pg_psql avowsets "SELECT newest FROM tcb_eval_numbers WHERE tee = 'sgx'") == 18 ]] ||
    { echo "PostgreSQL: evaluation numbers document not stored"; exit 1; }
rm -rf "$sim"

# A store at schema 3 with collateral in it (made here by taking schema 4 and 5 off a store
# the CLI wrote: what schema 3 had) is migrated on open, on PostgreSQL and on SQLite alike:
# the row stays, readable as the current set with number 0 ("unknown"), the new tables and
# (PostgreSQL) their change triggers exist, and a set imported after it replaces it and is
# kept under its number.
R1="$AVOW_VECTORS/dcap/R1-dcaprs-sgx-v3-tcbv2/collateral.json"
DOWN_TO_3="DROP TABLE collateral_sets; DROP TABLE tcb_eval_numbers;
ALTER TABLE collateral DROP COLUMN eval_num; DELETE FROM avow_schema_migrations WHERE version >= 4;"
migrate_from_3() { # DATA SQL-RUNNER...
    local data=$1; shift
    "$AVOW_BIN" collateral import --data "$data" "$R1" >/dev/null
    "$@" "$DOWN_TO_3"
    [[ $("$@" "SELECT MAX(version) FROM avow_schema_migrations") == 3 ]] || { echo "$data: not at schema 3"; exit 1; }
    "$AVOW_BIN" collateral show --data "$data" --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert [(r["fmspc"], r["eval_num"]) for r in rows] == [("00606a000000", 0)], rows
assert 1740713705 <= rows[0]["next_update_unix"] <= 1742009382, rows' ||
        { echo "$data: the schema 3 row did not survive the migration"; exit 1; }
    [[ $("$@" "SELECT COUNT(*) FROM collateral_sets") == 0 && $("$@" "SELECT COUNT(*) FROM tcb_eval_numbers") == 0 ]] ||
        { echo "$data: the v4 tables are missing"; exit 1; }
    "$AVOW_BIN" collateral import --data "$data" "$R1" >/dev/null
    [[ $("$@" "SELECT eval_num FROM collateral") == 17 && $("$@" "SELECT eval_num || ' ' || update_kind FROM collateral_sets") == "17 standard" ]] ||
        { echo "$data: a set imported after the migration did not replace the number-0 row"; exit 1; }
}
mig_uri=$(pg_createdb avowmig)
migrate_from_3 "$mig_uri" pg_psql avowmig
[[ $(pg_psql avowmig "SELECT MAX(version) FROM avow_schema_migrations") == 5 ]] || { echo "PostgreSQL: not migrated to 5"; exit 1; }
[[ $(pg_psql avowmig "SELECT COUNT(*) FROM pg_trigger WHERE tgname = 'avow_notify' AND tgrelid IN ('collateral_sets'::regclass, 'tcb_eval_numbers'::regclass)") == 2 ]] ||
    { echo "PostgreSQL: the v4 tables have no change triggers after the migration"; exit 1; }
sqlite_dir=$(mktemp -d)
sqlite_sql() { sqlite3 "$sqlite_dir/avow.db" "$1"; }
migrate_from_3 "$sqlite_dir" sqlite_sql
[[ $(sqlite_sql "SELECT MAX(version) FROM avow_schema_migrations") == 5 ]] || { echo "SQLite: not migrated"; exit 1; }
rm -rf "$sqlite_dir"
echo "store_postgres: ok"
