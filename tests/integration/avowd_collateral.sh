#!/usr/bin/env bash
# avowd's collateral handling:
#  - a cache miss is fetched from a second avowd acting as the PCCS upstream
#    (B has the collateral imported; A starts with an empty store and
#    --pcs-url http://127.0.0.1:PORT_B/sgx/certification/v4), stored in A's
#    store and then served from cache (no second fetch);
#  - refresh: past nextUpdate with a newer set on the upstream, A fetches it,
#    replaces its row and attests;
#  - expiry: A judged past nextUpdate (--clock) with the upstream down fails
#    with a clear error, and with the upstream up but serving the same old
#    collateral it still refuses (nothing stale is used);
#  - upstream down on a miss: a clear error naming the upstream;
#  - `avow collateral import` refuses what does not verify and stores
#    nothing (a set of another root is checked against it, with a warning); what it imports into the store of a running avowd is seen; a
#    folder of Intel's PCS responses (R1) imports and verifies R1's quote.
source "$(dirname "$0")/avowd_lib/common.bash"
cd "$WORK"

"$AVOW_BIN" sim init plat >/dev/null
"$AVOW_BIN" sim quote --platform plat --out q >/dev/null
BODY="{\"quote\":\"$(b64url_file q/quote.bin)\"}"
NEXT=$(python3 -c 'import json,sys; print(json.loads(json.load(open(sys.argv[1]))["tcb_info"])["nextUpdate"])' q/collateral.json)
NEXT_UNIX=$(date -d "$NEXT" +%s)
LATE=$((NEXT_UNIX + 86400))

attest() { # URL -> HTTP_STATUS, body
    http POST "$1/attest/SgxEnclave?api-version=2020-10-01" -H 'Content-Type: application/json' --data-binary "$BODY"
}
metric() { # URL NAME{labels} -> value
    curl -fs "$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'
}

# ---- upstream B (collateral imported) and A (empty store) ----------------------
"$AVOW_BIN" collateral import --data data-b --root q/root.pem q/collateral.json >/dev/null
PB=$(free_port)
start_avowd b "$PB" --data data-b --access-log "$WORK/b-access.log"
B_PID=$LAST_PID
UP="http://127.0.0.1:$PB/sgx/certification/v4"
PA=$(free_port)
start_avowd a "$PA" --data data-a --trust-root q/root.pem --pcs-url "$UP"
A_PID=$LAST_PID
EA="http://127.0.0.1:$PA"
attest "$EA"
[[ $HTTP_STATUS == 200 ]] || fail "cache miss via upstream avowd: $HTTP_STATUS $(cat "$WORK/body")"
[[ $(metric "$EA" 'avowd_upstream_fetches_total{result="ok"}') == 1 ]] || fail "expected one upstream fetch"
for path in /sgx/certification/v4/tcb /sgx/certification/v4/qe/identity /sgx/certification/v4/pckcrl /sgx/certification/v4/rootcacrl; do
    grep -q "\"path\":\"$path\",\"route\":\"[a-z_]*\",\"status\":200" b-access.log || fail "B did not serve $path"
done
ok "cache miss fetched from avowd B (tcb, qe/identity, pckcrl, rootcacrl), attestation 200"
attest "$EA"
[[ $HTTP_STATUS == 200 ]] || fail "second attestation: $HTTP_STATUS"
[[ $(metric "$EA" 'avowd_upstream_fetches_total{result="ok"}') == 1 ]] || fail "second attestation fetched again"
[[ $(metric "$EA" 'avowd_collateral_cache_total{result="hit"}') -ge 1 ]] || fail "no cache hit recorded"
ok "second attestation served from cache (no new upstream fetch)"
"$AVOW_BIN" collateral show --data data-a --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert len(rows) == 1 and rows[0]["fmspc"] == "00a0aa100000", rows' || fail "A's store lacks the fetched row"
ok "fetched collateral stored in A's store"
stop_avowd "$A_PID"

# ---- expiry: past nextUpdate, upstream up but serving the same old collateral --
start_avowd a2 "$PA" --data data-a --trust-root q/root.pem --pcs-url "$UP" --clock "$LATE"
attest "$EA"
[[ $HTTP_STATUS == 400 || $HTTP_STATUS == 503 ]] || fail "stale collateral used: status $HTTP_STATUS"
expect_error "$HTTP_STATUS" "expired" "past nextUpdate, upstream only has the same collateral"
stop_avowd "$LAST_PID"

# ---- refresh: past nextUpdate, the upstream now has a newer set ------------------
# (imported into the running B); A fetches it, replaces its row and attests.
NEWER=$((LATE + 30 * 86400))
"$AVOW_BIN" sim quote --platform plat --out q2 --next-update "$NEWER" >/dev/null
"$AVOW_BIN" collateral import --data data-b --root q/root.pem q2/collateral.json >/dev/null
start_avowd a5 "$PA" --data data-a --trust-root q/root.pem --pcs-url "$UP" --clock "$LATE"
attest "$EA"
[[ $HTTP_STATUS == 200 ]] || fail "refresh from an upstream with newer collateral: $HTTP_STATUS $(cat "$WORK/body")"
[[ $(metric "$EA" 'avowd_upstream_fetches_total{result="ok"}') == 1 ]] || fail "expected one refresh fetch"
"$AVOW_BIN" collateral show --data data-a --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert len(rows) == 1 and rows[0]["next_update"] == sys.argv[1], rows' "$(date -u -d "@$NEWER" +%Y-%m-%dT%H:%M:%SZ)" ||
    fail "A's row was not replaced by the newer set"
ok "past nextUpdate, the newer set on the upstream is fetched, replaces the stored row and is used"
stop_avowd "$LAST_PID"
LATE=$((NEWER + 86400)) # past the stored row's nextUpdate again, for what follows

# ---- expiry with the upstream down --------------------------------------------
stop_avowd "$B_PID"
start_avowd a3 "$PA" --data data-a --trust-root q/root.pem --pcs-url "$UP" --clock "$LATE"
attest "$EA"
expect_error "$HTTP_STATUS" "expired" "past nextUpdate with the upstream down"
grep -q "127.0.0.1:$PB" "$WORK/body" || fail "the error does not name the upstream: $(cat "$WORK/body")"
# and within nextUpdate the same store still works offline
stop_avowd "$LAST_PID"
start_avowd a4 "$PA" --data data-a --trust-root q/root.pem --pcs-url "$UP"
attest "$EA"
[[ $HTTP_STATUS == 200 ]] || fail "fresh cached collateral with the upstream down: $HTTP_STATUS"
ok "within nextUpdate the stored collateral works with the upstream down"

# ---- upstream down on a miss ---------------------------------------------------
PC=$(free_port)
start_avowd c "$PC" --data data-c --trust-root q/root.pem --pcs-url "$UP"
attest "http://127.0.0.1:$PC"
expect_error "$HTTP_STATUS" "127.0.0.1:$PB" "cache miss with the upstream down"
[[ $HTTP_STATUS != 200 ]] || fail "attested without collateral"
grep -qi "not cached\|no collateral" "$WORK/body" || fail "miss error does not say the collateral is absent: $(cat "$WORK/body")"
[[ $(metric "http://127.0.0.1:$PC" 'avowd_upstream_fetches_total{result="error"}') -ge 1 ]] || fail "failed fetch not counted"

# ---- import into a running avowd ------------------------------------------------
PD=$(free_port)
start_avowd d "$PD" --data data-d --trust-root q/root.pem
attest "http://127.0.0.1:$PD"
expect_error 400 "no collateral for FMSPC 00a0aa100000" "no collateral, no upstream"
# import checks before it stores. Without --root the simulated set is checked
# against its own root and stored with a warning (trust is avowd's
# --trust-root); a set whose QE Identity signature was altered is refused.
"$AVOW_BIN" collateral import --data data-w q/collateral.json >import.out 2>import.err ||
    fail "simulated collateral without --root: $(cat import.err)"
grep -q "imported q/collateral.json: fmspc 00a0aa100000" import.out || fail "import without --root: $(cat import.out)"
grep -q "warning: q/collateral.json: TCB Info issuer chain ends at 'Avow Simulated SGX Root CA'" import.err ||
    fail "import without --root: no warning: $(cat import.err)"
grep -q -- "--trust-root" import.err || fail "the warning does not say what avowd needs: $(cat import.err)"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["qe_identity_signature"]
d["qe_identity_signature"]=("1" if s[0]!="1" else "2")+s[1:]; json.dump(d,open(sys.argv[2],"w"))' q/collateral.json bad.json
for roots in "--root q/root.pem" ""; do # trusted root or the set's own: refused either way
    # shellcheck disable=SC2086
    if "$AVOW_BIN" collateral import --data data-d $roots bad.json >/dev/null 2>import.err; then
        fail "collateral with a bad QE Identity signature imported (${roots:-no --root})"
    fi
    grep -q "bad.json: collateral does not verify, not imported: QE Identity signature does not verify" import.err ||
        fail "bad signature import: unclear error: $(cat import.err)"
done
[[ -z $("$AVOW_BIN" collateral show --data data-d | tail -n +2) ]] || fail "a refused import left a row"
attest "http://127.0.0.1:$PD"
expect_error 400 "no collateral for FMSPC 00a0aa100000" "still no collateral after refused imports"
ok "collateral import checks each set: a simulated root is a warning, a bad signature a refusal that stores nothing"
"$AVOW_BIN" collateral import --data data-d --root q/root.pem q/collateral.json >/dev/null
attest "http://127.0.0.1:$PD"
[[ $HTTP_STATUS == 200 ]] || fail "collateral imported while running not seen: $HTTP_STATUS $(cat "$WORK/body")"
ok "collateral imported into a running avowd's store is used"

# ---- a folder of Intel's own PCS responses, imported, serves real evidence ------
R1="$AVOW_VECTORS/dcap/R1-dcaprs-sgx-v3-tcbv2"
"$AVOW_BIN" collateral import --data data-f "$R1/pcs-original" >import.out 2>&1 || fail "folder import: $(cat import.out)"
grep -q "fmspc 00606a000000 ca platform tee sgx" import.out || fail "folder import: $(cat import.out)"
PF=$(free_port)
start_avowd f "$PF" --data data-f --clock "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["at"])' "$R1/expected.json")"
http POST "http://127.0.0.1:$PF/attest/SgxEnclave" -H 'Content-Type: application/json' \
    --data-binary "{\"quote\":\"$(b64url_file "$R1/quote.bin")\"}"
[[ $HTTP_STATUS == 200 ]] || fail "R1 with its imported PCS folder: $HTTP_STATUS $(cat "$WORK/body")"
[[ $(json_get "$WORK/body" 'd["token"]' | { read -r t; jwt_part "$t" 1; } | json_get - 'd["x-avow-sgx-tcb-status"]') == OutOfDate ]] ||
    fail "R1 TCB status"
ok "a folder of Intel PCS responses imports and verifies real evidence (R1: OutOfDate)"
echo "avowd_collateral: all checks passed"
