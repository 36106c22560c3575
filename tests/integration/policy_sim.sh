#!/usr/bin/env bash
# End to end: every policy of docs/maa.md §3.5-§3.6 (tests/data/policies/)
# behaves as documented against simulated quotes built for it (debuggable or
# not, signer 1, 2 or other, SVN above or below, product id), evaluated by
# `avow policy eval ... --root OUT/root.pem --json`; authorization on the TCB
# status and advisory IDs with quotes from the simulated platform at each
# status; evidence that fails verification is a deny; `policy check` prints
# FILE:line:col errors; `policy sign` builds a verifiable RS256 x5c JWS.
set -u
AVOW="${AVOW_BIN:?AVOW_BIN not set}"
SRC="${AVOW_SOURCE:?AVOW_SOURCE not set}"
POL="$SRC/tests/data/policies"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
fails=0
checks=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$AVOW" sim init "$T/plat" >/dev/null || { echo "FAIL: sim init"; exit 1; }

hex() { printf "$1%.0s" $(seq 32); } # 32 bytes of one repeated byte
S1=$(hex 11); S2=$(hex 22); SX=$(hex 33)
E1=$(hex a1); E2=$(hex a2)

# quote NAME [sim quote options]: builds $T/NAME/{quote.bin,collateral.json,root.pem}
quote() {
    local name=$1; shift
    "$AVOW" sim quote --platform "$T/plat" --out "$T/$name" "$@" >/dev/null 2>"$T/$name.err" ||
        { fail "sim quote $name: $(cat "$T/$name.err")"; return 1; }
}
quote rel_s1      --mrsigner "$S1" --mrenclave "$E1" --isv-prod-id 1 --isv-svn 5
quote dbg_s1      --mrsigner "$S1" --mrenclave "$E1" --isv-prod-id 1 --isv-svn 5 --debug
quote rel_s2      --mrsigner "$S2" --mrenclave "$E2" --isv-prod-id 1 --isv-svn 5
quote dbg_s2      --mrsigner "$S2" --mrenclave "$E2" --isv-prod-id 1 --isv-svn 5 --debug
quote rel_sx      --mrsigner "$SX" --mrenclave "$E1" --isv-prod-id 1 --isv-svn 5
quote dbg_sx      --mrsigner "$SX" --mrenclave "$E1" --isv-prod-id 1 --isv-svn 5 --debug
quote rel_s1_svn4 --mrsigner "$S1" --mrenclave "$E1" --isv-prod-id 1 --isv-svn 4
quote rel_s1_p2   --mrsigner "$S1" --mrenclave "$E1" --isv-prod-id 2 --isv-svn 5
quote st_utd      --mrsigner "$S1" --mrenclave "$E1" --tcb-status UpToDate
quote st_swh      --mrsigner "$S1" --mrenclave "$E1" --tcb-status SWHardeningNeeded --advisory-ids INTEL-SA-00657
quote st_swh615   --mrsigner "$S1" --mrenclave "$E1" --tcb-status SWHardeningNeeded --advisory-ids INTEL-SA-00657,INTEL-SA-00615
quote st_ood      --mrsigner "$S1" --mrenclave "$E1" --tcb-status OutOfDate
quote st_conf     --mrsigner "$S1" --mrenclave "$E1" --tcb-status ConfigurationNeeded
quote st_utd_dbg  --mrsigner "$S1" --mrenclave "$E1" --tcb-status UpToDate --debug
quote revoked     --mrsigner "$S1" --mrenclave "$E1" --revoke-pck

# eval POLICY QUOTE -> writes $T/out.json, echoes the exit code
eval_policy() {
    "$AVOW" policy eval "$1" --quote "$T/$2/quote.bin" --collateral "$T/$2/collateral.json" \
        --root "$T/$2/root.pem" --json >"$T/out.json" 2>"$T/out.err"
    echo $?
}

# expect POLICY QUOTE permit|deny [jq-filter-that-must-be-true]
expect() {
    local policy=$1 q=$2 want=$3 filter=${4:-true}
    checks=$((checks + 1))
    local rc got
    rc=$(eval_policy "$policy" "$q")
    got=$(jq -r .decision "$T/out.json" 2>/dev/null)
    local want_rc=0
    [ "$want" = deny ] && want_rc=1
    if [ "$got" != "$want" ] || [ "$rc" != "$want_rc" ]; then
        fail "$(basename "$policy") on $q: decision '$got' (exit $rc), want $want ($(jq -r .reason "$T/out.json" 2>/dev/null) $(cat "$T/out.err"))"
        return
    fi
    if [ "$(jq -r "$filter" "$T/out.json")" != true ]; then
        fail "$(basename "$policy") on $q: $filter is not true"
    fi
}

# Fill the docs' placeholders with this test's values.
sed "s/<product-id>/1/; s/<mrsigner>/$S1/" "$POL/bad/placeholder_product_id.txt" >"$T/custom.txt"
sed "s/mrsigner1/$S1/; s/mrsigner2/$S2/" "$POL/multiple_enclaves.txt" >"$T/multi.txt"
sed "s/mrsigner1/$S1/; s/mrsigner2/$S2/" "$POL/mrsigner_rotation.txt" >"$T/rotation.txt"
sed "s/<your_sgx_mrenclave>/$E1/" "$POL/tcb_baseline_mrenclave.txt" >"$T/baseline.txt"

# §3.5 default policy (1.1): permits, issues exactly MAA's default claims
DEF_KEYS='(.issued | keys) == ["is-debuggable","product-id","sgx-mrenclave","sgx-mrsigner","svn","tee"]'
expect "$POL/default_1_1.txt" rel_s1 permit "$DEF_KEYS and .issued.svn == 5 and .issued.tee == \"sgx\" and .issued[\"sgx-mrsigner\"] == \"$S1\" and .properties[\"x-ms-sgx-tcbidentifier\"] == \"azuredefault\" and .rule.section == \"authorizationrules\""
expect "$POL/default_1_1.txt" dbg_sx permit "$DEF_KEYS and .issued[\"is-debuggable\"] == true"
# §3.5 older default (1.0, \$ aliases)
expect "$POL/default_1_0_legacy.txt" rel_s2 permit "$DEF_KEYS and .issued[\"sgx-mrenclave\"] == \"$E2\""
expect "$POL/default_1_0_legacy.txt" dbg_s2 permit "$DEF_KEYS"

# §3.6 #1 custom: not debuggable, product 1, svn >= 0, signer 1
expect "$T/custom.txt" rel_s1 permit ".issued[\"<custom-name>\"] == \"$S1\""
expect "$T/custom.txt" dbg_s1 deny ".rule == null"
expect "$T/custom.txt" rel_s2 deny
expect "$T/custom.txt" rel_s1_p2 deny
# §3.6 #2 multiple enclaves: debuggable, signer 1 or 2
expect "$T/multi.txt" dbg_s1 permit ".rule.index == 0"
expect "$T/multi.txt" dbg_s2 permit ".rule.index == 1"
expect "$T/multi.txt" dbg_sx deny
expect "$T/multi.txt" rel_s1 deny
# §3.6 #3 rotation: not debuggable, signer 1 or 2
expect "$T/rotation.txt" rel_s1 permit ".rule.index == 0 and .issued == {}"
expect "$T/rotation.txt" rel_s2 permit ".rule.index == 1"
expect "$T/rotation.txt" rel_sx deny
expect "$T/rotation.txt" dbg_s1 deny
# §3.6 #4 deny debuggable (signed sample): deny wins
expect "$POL/deny_debuggable_signed.txt" dbg_s1 deny ".rule.index == 0 and (.reason | test(\"denied by authorizationrules rule 1\"))"
expect "$POL/deny_debuggable_signed.txt" rel_s1 permit ".rule.index == 1 and .issued.NotDebuggable == false and .issued.tee == \"sgx\""
# §3.6 #5 TCB baseline + MRENCLAVE
expect "$T/baseline.txt" rel_s1 permit ".properties[\"x-ms-sgx-tcbidentifier\"] == \"10\" and (.issued | keys) == [\"is-debuggable\",\"sgx-mrsigner\"]"
expect "$T/baseline.txt" rel_s2 deny
# SVN above or below a bar
expect "$POL/svn_threshold.txt" rel_s1 permit ".issued.svn == 5"
expect "$POL/svn_threshold.txt" rel_s1_svn4 deny
expect "$POL/svn_threshold.txt" dbg_s1 deny
# §3.6 #6 non-SGX grammar samples: deny everything / no secureBootEnabled claim
expect "$POL/deny_all_1_0.txt" rel_s1 deny ".rule.index == 0"
expect "$POL/secureboot_1_0.txt" rel_s1 deny ".rule == null and (.reason | test(\"no authorizationrules rule permitted\"))"

# TCB status and advisories: permit UpToDate and SWHardeningNeeded, not INTEL-SA-00615
TP="$POL/tcb_status_advisories.txt"
expect "$TP" st_utd permit ".incoming[\"x-avow-sgx-tcb-status\"] == \"UpToDate\" and .issued[\"advisories-none\"] == true"
expect "$TP" st_swh permit ".issued[\"tcb-status\"] == \"SWHardeningNeeded\" and .issued.advisories == \"INTEL-SA-00657\""
expect "$TP" st_swh615 deny ".rule.index == 0 and (.incoming[\"x-avow-sgx-advisory-ids\"] | sort) == [\"INTEL-SA-00615\",\"INTEL-SA-00657\"]"
expect "$TP" st_ood deny ".incoming[\"x-avow-sgx-tcb-status\"] == \"OutOfDate\""
expect "$TP" st_conf deny ".incoming[\"x-avow-sgx-tcb-status\"] == \"ConfigurationNeeded\""
expect "$TP" st_utd_dbg deny ".rule.index == 1"

# incoming claims: both naming schemes, lowercase hex, the collateral object
expect "$POL/default_1_1.txt" rel_s1 permit "
  .incoming[\"x-ms-ver\"] == \"1.0\" and .incoming[\"x-ms-attestation-type\"] == \"sgx\" and
  .incoming[\"x-ms-sgx-mrsigner\"] == \"$S1\" and .incoming[\"\$sgx-mrsigner\"] == \"$S1\" and
  .incoming[\"x-ms-sgx-product-id\"] == 1 and .incoming[\"\$product-id\"] == 1 and
  .incoming[\"\$tee\"] == \"sgx\" and (.incoming[\"x-ms-sgx-report-data\"] | length) == 128 and
  (.incoming[\"x-ms-sgx-collateral\"] | keys | length) == 7 and
  .incoming[\"x-ms-sgx-collateral\"] == .incoming[\"\$maa-attestationcollateral\"] and
  (.incoming[\"x-avow-sgx-tcb-date\"] | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T\")) and
  .verdict.verdict == \"ok\""
QH=$(sha256sum "$T/rel_s1/quote.bin" | cut -d' ' -f1)
expect "$POL/default_1_1.txt" rel_s1 permit ".incoming[\"x-ms-sgx-collateral\"].quotehash == \"$QH\""

# evidence that fails verification is a deny with the reason, whatever the policy
expect "$POL/default_1_1.txt" revoked deny "(.reason | test(\"quote verification failed\")) and .verdict.verdict == \"fail\" and .issued == {}"

# runtime data must hash to REPORTDATA[0:32]
printf 'hello' >"$T/rd.bin"
RDH=$(sha256sum "$T/rd.bin" | cut -d' ' -f1)
quote rd --mrsigner "$S1" --mrenclave "$E1" --report-data "${RDH}$(printf '0%.0s' $(seq 64))"
checks=$((checks + 1))
"$AVOW" policy eval "$POL/default_1_1.txt" --quote "$T/rd/quote.bin" --collateral "$T/rd/collateral.json" \
    --root "$T/rd/root.pem" --runtime-data "$T/rd.bin" --json >"$T/out.json"
[ "$(jq -r '.decision + " " + .incoming["x-ms-sgx-ehd"] + " " + .incoming["$maa-ehd"]' "$T/out.json")" = "permit aGVsbG8 aGVsbG8" ] ||
    fail "runtime data: $(jq -c '{decision, reason}' "$T/out.json")"
printf 'other' >"$T/rd2.bin"
"$AVOW" policy eval "$POL/default_1_1.txt" --quote "$T/rd/quote.bin" --collateral "$T/rd/collateral.json" \
    --root "$T/rd/root.pem" --runtime-data "$T/rd2.bin" --json >"$T/out.json"
[ "$(jq -r .decision "$T/out.json")" = deny ] || fail "mismatched runtime data was not denied"

# policy check
checks=$((checks + 1))
out=$("$AVOW" policy check "$POL/default_1_1.txt"); rc=$?
[ "$rc" = 0 ] && [ "$out" = ok ] || fail "policy check default: rc $rc '$out'"
out=$("$AVOW" policy check "$POL/bad/missing_bracket.txt" 2>&1); rc=$?
[ "$rc" = 2 ] && [ "$out" = "$POL/bad/missing_bracket.txt:3:14: expected ']' or ',' after property test, found '=>'" ] ||
    fail "policy check bad: rc $rc '$out'"
out=$("$AVOW" policy check "$POL/bad/unsupported_function.txt" 2>&1); rc=$?
[ "$rc" = 2 ] && [[ "$out" == *":4:49: unsupported function JmesPath"* ]] || fail "policy check JmesPath: rc $rc '$out'"

# policy sign: RS256 with x5c, payload {"AttestationPolicy": b64url(text)}, verifiable with x5c[0]
checks=$((checks + 1))
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k.pem" -out "$T/c.pem" -days 2 -subj "/CN=policy signer" 2>/dev/null ||
    fail "openssl req"
jws=$("$AVOW" policy sign "$POL/tcb_status_advisories.txt" --key "$T/k.pem" --cert "$T/c.pem") || fail "policy sign"
b64d() { local s=$1; while [ $(( ${#s} % 4 )) != 0 ]; do s="$s="; done; printf '%s' "$s" | basenc --base64url -d; }
IFS=. read -r h p s <<<"$jws"
[ "$(b64d "$h" | jq -r .alg)" = RS256 ] || fail "sign: alg"
b64d "$h" | jq -r '.x5c[0]' | base64 -d >"$T/x5c.der"
openssl x509 -inform DER -in "$T/x5c.der" -noout -pubkey >"$T/pub.pem" 2>/dev/null || fail "sign: x5c[0] is not a certificate"
b64d "$p" | jq -r .AttestationPolicy >"$T/b64pol"
b64d "$(cat "$T/b64pol")" >"$T/pol.txt"
cmp -s "$T/pol.txt" "$TP" || fail "sign: payload is not the policy text"
printf '%s.%s' "$h" "$p" >"$T/signing_input"
b64d "$s" >"$T/sig.bin"
openssl dgst -sha256 -verify "$T/pub.pem" -signature "$T/sig.bin" "$T/signing_input" >/dev/null 2>&1 ||
    fail "sign: signature does not verify with x5c[0]"
"$AVOW" policy sign "$POL/bad/missing_bracket.txt" --key "$T/k.pem" --cert "$T/c.pem" >/dev/null 2>&1 &&
    fail "sign: a policy that does not compile was signed"

echo "policy_sim: $checks checks, $fails failures"
[ "$fails" = 0 ]
