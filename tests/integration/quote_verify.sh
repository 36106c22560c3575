#!/usr/bin/env bash
# `avow quote verify` end to end: real vectors (JSON fields, exit codes 0/1/2,
# --at in both forms, --allow-missing-crl; TDX sets P2, G1, O2 with `td` and
# platform.tee "tdx"), and the simulated platform
# (`avow sim quote`): --root needed and reported, --revoke-pck fails on the
# PCK revocation check, --tcb-status Revoked fails, `avow bench verify` JSON.
set -euo pipefail
: "${AVOW_BIN:?}" "${AVOW_VECTORS:?}"
V=$AVOW_VECTORS/dcap
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
jget() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
expect_exit() { # CODE CMD...
  local want=$1; shift
  set +e; "$@" >"$work/out" 2>"$work/err"; local got=$?; set -e
  [ "$got" = "$want" ] || { cat "$work/err" >&2; fail "exit $got, expected $want: $*"; }
}

P1=$V/P1-phala-sgx-v3
expect_exit 0 "$AVOW_BIN" quote verify "$P1/quote.bin" --collateral "$P1/collateral.json" --at 1751624924 --json
cp "$work/out" "$work/p1.json"
[ "$(jget "$work/p1.json" "j['verdict']")" = ok ] || fail "P1 verdict"
[ "$(jget "$work/p1.json" "j['status']")" = ConfigurationAndSWHardeningNeeded ] || fail "P1 status"
[ "$(jget "$work/p1.json" "sorted(j['advisory_ids'])")" = "['INTEL-SA-00289', 'INTEL-SA-00615']" ] || fail "P1 advisories"
[ "$(jget "$work/p1.json" "j['result_code']")" = $((0xA008)) ] || fail "P1 result_code"
[ "$(jget "$work/p1.json" "j['checks'][-1]['step']")" = status ] || fail "P1 checks"
[ "$(jget "$work/p1.json" "len(j['report']['mrenclave'])")" = 64 ] || fail "P1 report"
# non-zero bytes after the auth data: the same verdict, checks and report
# (one rule for trailing bytes, docs/security.md)
cp "$P1/quote.bin" "$work/trail.bin"; printf 'trailing\377' >>"$work/trail.bin"
expect_exit 0 "$AVOW_BIN" quote verify "$work/trail.bin" --collateral "$P1/collateral.json" --at 1751624924 --json
python3 - "$work/out" "$work/p1.json" <<'PY' || fail "trailing bytes changed the verification"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["verdict"] == "ok" and a["checks"] == b["checks"] and a["report"] == b["report"], (a, b)
PY
# RFC 3339 --at; human output
expect_exit 0 "$AVOW_BIN" quote verify "$P1/quote.bin" --collateral "$P1/collateral.json" --at 2025-07-04T10:28:44Z
grep -q '^verdict: ok' "$work/out" || fail "human verdict line"
grep -q 'quote_signature' "$work/out" || fail "human checklist"
# outside the window: verdict fail, exit 1, expired flag, status still there
expect_exit 1 "$AVOW_BIN" quote verify "$P1/quote.bin" --collateral "$P1/collateral.json" --at 1760000000 --json
[ "$(jget "$work/out" "j['collateral_expired']")" = True ] || fail "expired flag"
[ "$(jget "$work/out" "j['status']")" = ConfigurationAndSWHardeningNeeded ] || fail "status when expired"
# no CRLs: fail unless allowed
O1=$V/O1-oasis-sgx-v3-nocrl
expect_exit 1 "$AVOW_BIN" quote verify "$O1/quote.bin" --collateral "$O1/collateral.json" --at 1672614773
expect_exit 0 "$AVOW_BIN" quote verify "$O1/quote.bin" --collateral "$O1/collateral.json" --at 1672614773 --allow-missing-crl --json
[ "$(jget "$work/out" "j['crl_missing']")" = True ] || fail "crl_missing"
# TDX: the same JSON with platform.tee "tdx" and a `td` object instead of `report`
P2=$V/P2-phala-tdx-v4
expect_exit 0 "$AVOW_BIN" quote verify "$P2/quote.bin" --collateral "$P2/collateral.json" --at 1751624191 --json
[ "$(jget "$work/out" "j['status']")" = UpToDate ] || fail "TDX status"
[ "$(jget "$work/out" "j['platform']['tee']")" = tdx ] || fail "TDX platform.tee"
[ "$(jget "$work/out" "j['td']['mrtd'][:16]")" = 91eb2b44d141d4ec ] || fail "TDX td.mrtd"
[ "$(jget "$work/out" "'report' in j")" = False ] || fail "TDX result carries an SGX report"
[ "$(jget "$work/out" "j['debug']")" = False ] || fail "TDX debug"
G1=$V/G1-gotdx-tdx-v4-spr-e4
expect_exit 1 "$AVOW_BIN" quote verify "$G1/quote.bin" --collateral "$G1/collateral.json" --at 1687939438 --json
case "$(jget "$work/out" "j['reason']")" in "no TCB level matches the platform"*) ;; *) fail "G1 reason" ;; esac
O2=$V/O2-oasis-tdx-v4-nocrl
expect_exit 1 "$AVOW_BIN" quote verify "$O2/quote.bin" --collateral "$O2/collateral.json" --at 1726556794
expect_exit 0 "$AVOW_BIN" quote verify "$O2/quote.bin" --collateral "$O2/collateral.json" --at 1726556794 --allow-missing-crl
grep -q '^status: UpToDate' "$work/out" || fail "O2 human status"
# unusable input: exit 2
head -c 700 "$P1/quote.bin" >"$work/short.bin"
expect_exit 2 "$AVOW_BIN" quote verify "$work/short.bin" --collateral "$P1/collateral.json" --at 1751624924
expect_exit 2 "$AVOW_BIN" quote verify "$P1/quote.bin" --collateral "$work/nope.json" --at 1751624924
expect_exit 2 "$AVOW_BIN" quote verify "$P1/quote.bin" --collateral "$P1/collateral.json" --at yesterday
expect_exit 2 "$AVOW_BIN" quote verify "$P1/quote.bin"

# the simulated platform
now=1751624924
expect_exit 0 "$AVOW_BIN" sim init "$work/plat" --now $((now - 86400))
expect_exit 0 "$AVOW_BIN" sim quote --platform "$work/plat" --out "$work/q" --report-data 00ff --now $((now - 3600))
expect_exit 1 "$AVOW_BIN" quote verify "$work/q/quote.bin" --collateral "$work/q/collateral.json" --at $now --json
[ "$(jget "$work/out" "[c['step'] for c in j['checks'] if not c['pass']][0]")" = root_pinned ] || fail "sim root trusted by default"
expect_exit 0 "$AVOW_BIN" quote verify "$work/q/quote.bin" --collateral "$work/q/collateral.json" --root "$work/q/root.pem" --at $now --json
[ "$(jget "$work/out" "j['simulated_root']")" = True ] || fail "simulated_root"
[ "$(jget "$work/out" "j['status']")" = UpToDate ] || fail "sim status"

expect_exit 0 "$AVOW_BIN" sim quote --platform "$work/plat" --out "$work/rev" --revoke-pck --now $((now - 3600))
expect_exit 1 "$AVOW_BIN" quote verify "$work/rev/quote.bin" --collateral "$work/rev/collateral.json" --root "$work/rev/root.pem" --at $now --json
[ "$(jget "$work/out" "[c['step'] for c in j['checks'] if not c['pass']][0]")" = pck_revocation ] || fail "revoked PCK"

expect_exit 0 "$AVOW_BIN" sim quote --platform "$work/plat" --out "$work/tr" --tcb-status Revoked --now $((now - 3600))
expect_exit 1 "$AVOW_BIN" quote verify "$work/tr/quote.bin" --collateral "$work/tr/collateral.json" --root "$work/tr/root.pem" --at $now --json
[ "$(jget "$work/out" "j['status']")" = Revoked ] || fail "revoked TCB status"

expect_exit 0 "$AVOW_BIN" bench verify "$P1/quote.bin" --collateral "$P1/collateral.json" --at 1751624924 --seconds 0.2
[ "$(jget "$work/out" "j['warm_per_sec'] > 0 and j['cold_per_sec'] > 0")" = True ] || fail "bench JSON"
echo "quote_verify: ok"
