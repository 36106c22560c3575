#!/usr/bin/env bash
# `avow quote verify --json` carries Intel's supplemental data
# (docs/verification.md A10) as `supplemental`: on real Intel evidence (P1:
# CRL numbers read with `openssl crl`, root_key_id = SHA-384 of the Intel
# root's point computed with `openssl`, dates, sa_list), `null` where the
# verification stops before a status (I1), and on simulated Scalable-type
# Platform-CA quotes made with `avow sim init --sgx-type N --pck-config D,C,S`
# (the three-state PCK flags: true, false, null); bad --pck-config values exit 2.
set -u
AVOW="${AVOW_BIN:?AVOW_BIN not set}"
V="${AVOW_VECTORS:?AVOW_VECTORS not set}"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib/expect.bash"
# jq_ FILE a.b.c: the value (JSON true/false/null spelled so)
jq_() { python3 -c "import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split('.'): d=d[k]
print(json.dumps(d) if d is None or isinstance(d,bool) else d)" "$1" "$2"; }
hex2der() { python3 -c "import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))" "$1"; }

# ---- P1: real Intel evidence
P1="$V/dcap/P1-phala-sgx-v3"
expect_rc 0 "verify P1" "$AVOW" quote verify "$P1/quote.bin" --collateral "$P1/collateral.json" \
    --at 1751624924 --json
cp "$T/out" "$T/p1.json"
S=supplemental
for which in root_ca_crl pck_crl; do
    hex2der "$(jq_ "$P1/collateral.json" $which)" >"$T/$which.der"
    want=$(openssl crl -inform DER -in "$T/$which.der" -noout -crlnumber | sed 's/.*=//')
    want=$((want)) # openssl prints 0x.. hex
    field=$([ $which = pck_crl ] && echo pck_crl_num || echo root_ca_crl_num)
    [ "$(jq_ "$T/p1.json" $S.$field)" = "$want" ] || fail "P1 $field: $(jq_ "$T/p1.json" $S.$field) != $want"
done
# root_key_id: SHA-384 of the uncompressed point (the last 65 bytes of the SPKI DER)
want=$(openssl x509 -in "$V/roots/intel_sgx_root_ca.pem" -noout -pubkey |
    openssl pkey -pubin -outform DER | tail -c 65 | openssl dgst -sha384 -r | cut -d' ' -f1)
[ "$(jq_ "$T/p1.json" $S.root_key_id)" = "$want" ] || fail "P1 root_key_id"
[ "$(jq_ "$T/p1.json" $S.sa_list)" = "INTEL-SA-00289,INTEL-SA-00615" ] || fail "P1 sa_list"
[ "$(jq_ "$T/p1.json" $S.pce_id)" = "0000" ] || fail "P1 pce_id"
[ "$(jq_ "$T/p1.json" $S.tee_type)" = 0 ] || fail "P1 tee_type"
[ "$(jq_ "$T/p1.json" $S.collateral_expiration_status)" = 0 ] || fail "P1 collateral_expiration_status"
[ "$(jq_ "$T/p1.json" $S.smt_enabled)" = null ] || fail "P1 smt_enabled (Standard type)"
# the TCB Info's issueDate is the latest issue; the QE Identity's nextUpdate the earliest expiry
want=$(python3 -c "import json,sys; print(json.loads(json.load(open(sys.argv[1]))['tcb_info'])['issueDate'])" "$P1/collateral.json")
[ "$(jq_ "$T/p1.json" $S.latest_issue_date)" = "$want" ] || fail "P1 latest_issue_date"
# at the earliest expiration date itself: Intel's `<=` rule says expired
at=$(jq_ "$T/p1.json" $S.earliest_expiration_date)
expect_rc 0 "verify P1 at the earliest expiration" "$AVOW" quote verify "$P1/quote.bin" \
    --collateral "$P1/collateral.json" --at "$at" --json
[ "$(jq_ "$T/out" $S.collateral_expiration_status)" = 1 ] || fail "P1 <= rule"

# ---- I1 stops at the PCK CRL: no status, no supplemental data
I1="$V/dcap/I1-integritee-sgx-v3"
expect_rc 1 "verify I1" "$AVOW" quote verify "$I1/quote.bin" --collateral "$I1/collateral.json" \
    --at 1671606747 --json
[ "$(jq_ "$T/out" $S)" = null ] || fail "I1 supplemental is not null"

# ---- simulated Scalable platforms, Platform CA
now=2025-01-01T00:00:00Z
check_sim() { # sgx_type pck_config want_dynamic want_cached want_smt
    local d="$T/plat$1$2"
    expect_rc 0 "sim init $1 $2" "$AVOW" sim init "$d" --ca platform --sgx-type "$1" \
        --pck-config "$2" --now $now
    expect_rc 0 "sim quote $1 $2" "$AVOW" sim quote --platform "$d" --out "$d/out" --now $now \
        --tcb-status SWHardeningNeeded --advisory-ids INTEL-SA-00615,INTEL-SA-00289
    expect_rc 0 "verify $1 $2" "$AVOW" quote verify "$d/out/quote.bin" --collateral \
        "$d/out/collateral.json" --root "$d/out/root.pem" --at 2025-01-01T01:00:00Z --json
    [ "$(jq_ "$T/out" $S.sgx_type)" = "$1" ] || fail "sim $1 $2: sgx_type"
    [ "$(jq_ "$T/out" $S.dynamic_platform)" = "$3" ] || fail "sim $1 $2: dynamic_platform"
    [ "$(jq_ "$T/out" $S.cached_keys)" = "$4" ] || fail "sim $1 $2: cached_keys"
    [ "$(jq_ "$T/out" $S.smt_enabled)" = "$5" ] || fail "sim $1 $2: smt_enabled"
    [ "$(jq_ "$T/out" $S.sa_list)" = "INTEL-SA-00289,INTEL-SA-00615" ] || fail "sim sa_list"
    # advisory_ids keep their order; sa_list is sorted
    python3 -c "import json,sys; assert json.load(open(sys.argv[1]))['advisory_ids'] == \
        ['INTEL-SA-00615', 'INTEL-SA-00289']" "$T/out" || fail "sim advisory_ids order"
}
check_sim 1 "1,0,-" true false null
check_sim 2 "0,1,1" false true true
check_sim 1 "-,-,-" null null null
# Standard type: Intel fills none of them
check_sim 0 "1,1,1" null null null
[ "$(jq_ "$T/out" $S.platform_instance_id)" = null ] || fail "Standard: platform_instance_id"

for bad in "1,0" "2,0,1" "1;0;1" "1,0,1,1" ""; do
    expect_rc 2 "--pck-config '$bad'" "$AVOW" sim init "$T/bad" --pck-config "$bad"
done
expect_rc 2 "--sgx-type 3" "$AVOW" sim init "$T/bad" --sgx-type 3

finish supplemental_cli
