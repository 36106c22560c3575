#!/usr/bin/env bash
# End to end: every Intel TCB status and every QE-identity convergence case
# (QE UpToDate / OutOfDate / Revoked x each platform status, Intel's A7 table)
# is produced by `avow sim quote` and verified by `avow quote verify --root`
# with exactly the status asked for; a revoked PCK fails; v3 and v4 quotes;
# without --root the simulated root is never trusted.
set -u
AVOW="${AVOW_BIN:?AVOW_BIN not set}"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

if ! "$AVOW" quote verify --help >/dev/null 2>&1; then
    echo "FAIL: avow quote verify is not available"
    exit 1
fi

"$AVOW" sim init "$T/p" >/dev/null || { echo "FAIL: sim init"; exit 1; }

# Intel convergeTcbStatusWithQeTcbStatus (docs/verification.md A7)
. "$(dirname "$0")/lib/converge.bash"

jget() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(d.get(sys.argv[2])) if not isinstance(d.get(sys.argv[2]),str) else d.get(sys.argv[2]))" "$1" "$2"; }

n=0
for ver in 3 4; do
    for ts in UpToDate SWHardeningNeeded ConfigurationNeeded ConfigurationAndSWHardeningNeeded \
        OutOfDate OutOfDateConfigurationNeeded Revoked; do
        for qs in UpToDate OutOfDate Revoked; do
            # v4 runs the platform statuses once (QE UpToDate) to keep the test quick
            [ "$ver" = 4 ] && [ "$qs" != UpToDate ] && continue
            o="$T/q-$ver-$ts-$qs"
            if ! "$AVOW" sim quote --platform "$T/p" --out "$o" --tcb-status "$ts" --qe-status "$qs" \
                --version "$ver" --report-data 48656c6c6f >/dev/null; then
                fail "sim quote v$ver $ts/$qs"
                continue
            fi
            want="$(converge "$ts" "$qs")"
            "$AVOW" quote verify "$o/quote.bin" --collateral "$o/collateral.json" --root "$o/root.pem" \
                --json >"$o/v.json"
            rc=$?
            got="$(jget "$o/v.json" status)"
            verdict="$(jget "$o/v.json" verdict)"
            sim="$(jget "$o/v.json" simulated_root)"
            if [ "$want" = Revoked ]; then want_verdict=fail; want_rc=1; else want_verdict=ok; want_rc=0; fi
            [ "$got" = "$want" ] || fail "v$ver platform $ts + QE $qs: status '$got', want '$want'"
            [ "$verdict" = "$want_verdict" ] || fail "v$ver $ts/$qs: verdict $verdict, want $want_verdict"
            [ "$rc" = "$want_rc" ] || fail "v$ver $ts/$qs: exit $rc, want $want_rc"
            [ "$sim" = true ] || fail "v$ver $ts/$qs: verdict does not say the root is simulated"
            if [ "$ts" != UpToDate ] && [ "$qs" = UpToDate ]; then
                adv="$(jget "$o/v.json" advisory_ids)"
                case "$adv" in *INTEL-SA-*) ;; *) fail "$ts: no advisory IDs ($adv)" ;; esac
            fi
            n=$((n + 1))
        done
    done
done
echo "status matrix: $n cases checked"

# the report data and the version reach the verifier
o="$T/q-4-UpToDate-UpToDate"
rd="$(python3 -c "import json; print(json.load(open('$o/v.json'))['report']['report_data'][:10])")"
[ "$rd" = 48656c6c6f ] || fail "report_data not carried ($rd)"

# a revoked PCK fails
o="$T/revoked"
"$AVOW" sim quote --platform "$T/p" --out "$o" --revoke-pck >/dev/null || fail "sim quote --revoke-pck"
"$AVOW" quote verify "$o/quote.bin" --collateral "$o/collateral.json" --root "$o/root.pem" --json >"$o/v.json"
rc=$?
[ "$rc" = 1 ] || fail "revoked PCK: exit $rc, want 1"
[ "$(jget "$o/v.json" verdict)" = fail ] || fail "revoked PCK: verdict not fail"

# without --root the simulated root is not trusted
o="$T/q-3-UpToDate-UpToDate"
"$AVOW" quote verify "$o/quote.bin" --collateral "$o/collateral.json" --json >"$o/noroot.json"
rc=$?
[ "$rc" = 1 ] || fail "no --root: exit $rc, want 1"
[ "$(jget "$o/noroot.json" verdict)" = fail ] || fail "no --root: verdict not fail"

# debug enclave flag is reported
o="$T/debug"
"$AVOW" sim quote --platform "$T/p" --out "$o" --debug --isv-prod-id 7 --isv-svn 3 >/dev/null || fail "sim quote --debug"
"$AVOW" quote verify "$o/quote.bin" --collateral "$o/collateral.json" --root "$o/root.pem" --json >"$o/v.json"
[ "$(jget "$o/v.json" debug)" = true ] || fail "debug flag not reported"
python3 - "$o/v.json" <<'PY' || fail "isv_prod_id/isv_svn not carried"
import json, sys
r = json.load(open(sys.argv[1]))["report"]
sys.exit(0 if r["isv_prod_id"] == 7 and r["isv_svn"] == 3 else 1)
PY

# expired collateral (issued 60 days ago, next update 30 days ago): flagged
now=$(date +%s)
o="$T/expired"
"$AVOW" sim quote --platform "$T/p" --out "$o" --now $((now - 60 * 86400)) \
    --next-update $((now - 30 * 86400)) >/dev/null || fail "sim quote --now"
"$AVOW" quote verify "$o/quote.bin" --collateral "$o/collateral.json" --root "$o/root.pem" --json >"$o/v.json"
[ "$(jget "$o/v.json" collateral_expired)" = true ] || fail "expired collateral not flagged"

if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "sim_status_matrix: all passed"
