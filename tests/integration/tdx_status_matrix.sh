#!/usr/bin/env bash
# End to end for TD quotes: `avow sim quote --tee tdx` makes v4 and v5 (TD
# report 1.0 and 1.5) quotes and TDX collateral for every TCB status, module
# status and QE status, and `avow quote verify --root` reaches exactly the
# status Intel's tables give (convergeTcbStatusWithTdxModuleStatus, then
# convergeTcbStatusWithQeTcbStatus; relaunch advice for TD 1.5); a module
# identity mismatch fails at tdx_module; the JSON carries `td` and
# platform.tee "tdx"; without --root the simulated root is not trusted; bad
# option combinations exit 2; `avow quote show` and `avow bench verify` take
# TD quotes.
set -u
AVOW="${AVOW_BIN:?AVOW_BIN not set}"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
jget() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(v if isinstance(v,str) else json.dumps(v))" "$1" "$2"; }

"$AVOW" sim init "$T/p" >/dev/null || { echo "FAIL: sim init"; exit 1; }

# Intel's convergence tables: module with TDX level, then QE (the same rule)
. "$(dirname "$0")/lib/converge.bash"

n=0
# check NAME WANT_STATUS SIM-ARGS...: sim quote + verify, status and verdict
check() {
    local name=$1 want=$2
    shift 2
    local o="$T/$name"
    if ! "$AVOW" sim quote --platform "$T/p" --out "$o" --tee tdx --report-data 7464780a "$@" >/dev/null; then
        fail "$name: sim quote $*"
        return
    fi
    "$AVOW" quote verify "$o/quote.bin" --collateral "$o/collateral.json" --root "$o/root.pem" \
        --json >"$o/v.json"
    local rc=$? want_rc=0 want_verdict=ok
    [ "$want" = Revoked ] && want_rc=1 && want_verdict=fail
    [ "$rc" = "$want_rc" ] || fail "$name: exit $rc, want $want_rc"
    # one interpreter per case: status, verdict, platform.tee, simulated_root, td.report_data
    local got
    got="$(jget "$o/v.json" "' '.join([str(j['status']), j['verdict'], j['platform']['tee'], str(j['simulated_root']), j['td']['report_data'][:8]])")"
    [ "$got" = "$want $want_verdict tdx True 7464780a" ] ||
        fail "$name ($*): got '$got', want '$want $want_verdict tdx True 7464780a' ($(jget "$o/v.json" "j.get('reason')"))"
    n=$((n + 1))
}

TCB="UpToDate SWHardeningNeeded ConfigurationNeeded ConfigurationAndSWHardeningNeeded OutOfDate OutOfDateConfigurationNeeded Revoked"
for kind in "4" "5" "5 --td15"; do
    set -- $kind
    ver=$1
    extra="${2:-}"
    for ts in $TCB; do
        check "v$ver${extra:+-td15}-$ts" "$ts" --version "$ver" $extra --tcb-status "$ts"
    done
done
# relaunch advice: TD report 1.5, module OutOfDate, TEE_TCB_SVN_2 above TEE_TCB_SVN
for ts in TDRelaunchAdvised TDRelaunchAdvisedConfigurationNeeded; do
    check "relaunch-$ts" "$ts" --version 5 --td15 --tcb-status "$ts"
    # the QE out of date: no relaunch check; the TDX level is OutOfDate
    check "relaunch-$ts-qe" OutOfDate --version 5 --td15 --tcb-status "$ts" --qe-status OutOfDate
done
# module x TDX level x QE (v4 and v5 TD 1.5)
for kind in "4" "5 --td15"; do
    for ms in OutOfDate Revoked; do
        for ts in UpToDate SWHardeningNeeded ConfigurationNeeded ConfigurationAndSWHardeningNeeded OutOfDate; do
            for qs in UpToDate OutOfDate; do
                want="$(converge "$(converge "$ts" "$ms")" "$qs")"
                set -- $kind
                check "m-$1-$ms-$ts-$qs" "$want" --version $kind --tcb-status "$ts" \
                    --module-status "$ms" --qe-status "$qs"
            done
        done
    done
done
echo "tdx status matrix: $n cases checked"

# the module's advisories reach the result
o="$T/m-4-OutOfDate-UpToDate-UpToDate"
[ "$(jget "$o/v.json" "j['platform']['module_status']")" = OutOfDate ] || fail "module_status"
[ "$(jget "$o/v.json" "j['platform']['module_id']")" = TDX_01 ] || fail "module_id"
[ "$(jget "$o/v.json" "j['platform']['module_advisory_ids'][0] in j['advisory_ids']")" = true ] ||
    fail "module advisories not in advisory_ids"

# a module identity mismatch fails before any signature check, v4 and v5
for ver in 4 5; do
    o="$T/mismatch-$ver"
    "$AVOW" sim quote --platform "$T/p" --out "$o" --tee tdx --version $ver --module-mismatch >/dev/null ||
        fail "sim quote --module-mismatch"
    "$AVOW" quote verify "$o/quote.bin" --collateral "$o/collateral.json" --root "$o/root.pem" --json >"$o/v.json"
    rc=$?
    [ "$rc" = 1 ] || fail "module mismatch v$ver: exit $rc, want 1"
    [ "$(jget "$o/v.json" "[c['step'] for c in j['checks'] if not c['pass']][0]")" = tdx_module ] ||
        fail "module mismatch v$ver: first failing check"
    [ "$(jget "$o/v.json" "j['status']")" = null ] || fail "module mismatch v$ver: a status"
done

# module major version 0: judged by tdxModule alone
o="$T/major0"
"$AVOW" sim quote --platform "$T/p" --out "$o" --tee tdx --tee-tcb-svn 03000400000000000000000000000000 >/dev/null ||
    fail "sim quote --tee-tcb-svn"
"$AVOW" quote verify "$o/quote.bin" --collateral "$o/collateral.json" --root "$o/root.pem" --json >"$o/v.json" ||
    fail "major 0: $(jget "$o/v.json" "j.get('reason')")"
[ "$(jget "$o/v.json" "j['platform']['module_id']")" = "" ] || fail "major 0: module_id"
[ "$(jget "$o/v.json" "j['td']['tee_tcb_svn'][:6]")" = 030004 ] || fail "major 0: tee_tcb_svn"

# debug TD, TD 1.5 fields, no `report`
o="$T/debug"
"$AVOW" sim quote --platform "$T/p" --out "$o" --tee tdx --version 5 --td15 --debug \
    --mrtd "$(printf 'ab%.0s' $(seq 48))" >/dev/null || fail "sim quote --debug"
"$AVOW" quote verify "$o/quote.bin" --collateral "$o/collateral.json" --root "$o/root.pem" --json >"$o/v.json" ||
    fail "debug TD verdict"
[ "$(jget "$o/v.json" "j['debug']")" = true ] || fail "debug TD: debug flag"
[ "$(jget "$o/v.json" "j['td']['td_attributes'][:2]")" = 01 ] || fail "debug TD: td_attributes"
[ "$(jget "$o/v.json" "j['td']['mrtd'][:8]")" = abababab ] || fail "--mrtd"
[ "$(jget "$o/v.json" "len(j['td']['tee_tcb_svn_2'])")" = 32 ] || fail "TD 1.5: tee_tcb_svn_2"
[ "$(jget "$o/v.json" "len(j['td']['mrservicetd'])")" = 96 ] || fail "TD 1.5: mrservicetd"
[ "$(jget "$o/v.json" "'report' in j")" = false ] || fail "TD result carries an SGX report"
"$AVOW" quote show "$o/quote.bin" --json >"$o/show.json" || fail "quote show TD 1.5"
[ "$(jget "$o/show.json" "j['body']['type']")" = 3 ] || fail "quote show: body type"

# without --root the simulated root is not trusted
o="$T/v4-UpToDate"
"$AVOW" quote verify "$o/quote.bin" --collateral "$o/collateral.json" --json >"$o/noroot.json"
rc=$?
[ "$rc" = 1 ] || fail "no --root: exit $rc, want 1"
[ "$(jget "$o/noroot.json" "[c['step'] for c in j['checks'] if not c['pass']][0]")" = root_pinned ] ||
    fail "no --root: first failing check"

# SGX collateral for the TD quote: the TCB Info's id does not match
s="$T/sgx"
"$AVOW" sim quote --platform "$T/p" --out "$s" --version 4 >/dev/null || fail "sim quote SGX"
"$AVOW" quote verify "$o/quote.bin" --collateral "$s/collateral.json" --root "$o/root.pem" --json >"$o/swap.json"
[ "$(jget "$o/swap.json" "[c['step'] for c in j['checks'] if not c['pass']][0]")" = fmspc_pceid ] ||
    fail "SGX collateral for a TD quote"

# bench verify takes a TD quote
"$AVOW" bench verify "$o/quote.bin" --collateral "$o/collateral.json" --root "$o/root.pem" \
    --at "$(date +%s)" --seconds 0.2 >"$o/bench.json" || fail "bench verify TD"
[ "$(jget "$o/bench.json" "j['warm_per_sec'] > j['cold_per_sec'] > 0")" = true ] || fail "bench numbers"

# unusable combinations: exit 2
expect2() {
    "$AVOW" sim quote --platform "$T/p" --out "$T/bad" "$@" >/dev/null 2>&1
    local rc=$?
    [ "$rc" = 2 ] || fail "sim quote $*: exit $rc, want 2"
}
expect2 --tee tdx --td15
expect2 --tee tdx --version 3
expect2 --version 5
expect2 --module-status OutOfDate
expect2 --tee tdx --tcb-status TDRelaunchAdvised
expect2 --tee tdx --tee-tcb-svn 03000400000000000000000000000000 --module-status OutOfDate
expect2 --tee tdx --mrenclave 00 --mrsigner 00
expect2 --tee sev

if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "tdx_status_matrix: all passed"
