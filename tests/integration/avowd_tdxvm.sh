#!/usr/bin/env bash
# avowd attests Intel TDX like MAA (docs/maa.md §1.10): POST /attest/TdxVm.
#  - simulated TD quotes (v4, v5 TD 1.0, v5 TD 1.5) and Phala's real TD quote
#    P2 (its collateral imported, avowd's --clock at its time): 200, the token
#    checked against /certs, every claim of MAA's EAT profile for TDX present
#    with the right JSON type and the value of the quote's own TD report
#    (read here with Python from the quote's bytes);
#  - runtimeData JSON (x-ms-runtime) and Binary bound to REPORTDATA, a
#    mismatch refused; api-versions 2023-04-01-preview, 2025-06-01 and none;
#  - the wrong TEE at each route: an SGX quote at /attest/TdxVm, a TD quote
#    at /attest/SgxEnclave and /attest/OpenEnclave, each refused naming the
#    right route;
#  - /policies/TdxVm: the default (permit-all) served and in force, a policy
#    on TDX claims that permits one MRTD and denies a debug TD, reset; the
#    SgxEnclave policy untouched meanwhile; a draft policy (unsigned token);
#  - TDX collateral through an upstream avowd: a second avowd with an empty
#    store fetches /tdx/certification/v4/tcb and qe/identity and the CA's
#    PCK CRL from the first (its PCCS routes), stores a TDX row and attests;
#    the PCCS routes serve the TDX set to curl too;
#  - `avow attest --type TdxVm` verifies the token and prints the claims.
source "$(dirname "$0")/avowd_lib/common.bash"
cd "$WORK"

"$AVOW_BIN" sim init plat >/dev/null
printf '{"pub":"tdx-key","n":[1,2]}' >rt.json
printf 'binary runtime \001\002' >rt.bin
H_JSON=$(sha256sum rt.json | cut -d' ' -f1)
H_BIN=$(sha256sum rt.bin | cut -d' ' -f1)
"$AVOW_BIN" sim quote --platform plat --out td4 --tee tdx --report-data "$H_JSON" >/dev/null
"$AVOW_BIN" sim quote --platform plat --out td5 --tee tdx --version 5 --report-data "$H_BIN" >/dev/null
"$AVOW_BIN" sim quote --platform plat --out td15 --tee tdx --version 5 --td15 --report-data "$H_JSON" >/dev/null
"$AVOW_BIN" sim quote --platform plat --out tddbg --tee tdx --debug >/dev/null
"$AVOW_BIN" sim quote --platform plat --out sgx >/dev/null
# one TDX set serves every TD quote of the platform; the SGX set the enclave
"$AVOW_BIN" collateral import --data data --root td4/root.pem td4/collateral.json >import.out ||
    fail "TDX collateral import: $(cat import.out)"
grep -q "tee tdx" import.out || fail "import did not store a TDX set: $(cat import.out)"
"$AVOW_BIN" collateral import --data data --root td4/root.pem sgx/collateral.json >/dev/null
ok "avow collateral import takes a TDX set ($(cut -d: -f2- import.out | xargs))"

ADMIN=$(openssl rand -hex 16)
AUTH=(-H "Authorization: Bearer $ADMIN")
P=$(free_port)
start_avowd a "$P" --data data --trust-root td4/root.pem --admin-token "$ADMIN" --access-log "$WORK/a-access.log"
E="http://127.0.0.1:$P"
http GET "$E/certs"
cp "$WORK/body" certs.json

# body QUOTE [RT-FILE RT-TYPE] [DRAFT-FILE] -> req.json (MAA's TdxVm request model)
body() {
    python3 - "$@" <<'PY'
import base64, json, sys
b = lambda p: base64.urlsafe_b64encode(open(p, "rb").read()).decode().rstrip("=")
a = sys.argv[1:]
r = {"quote": b(a[0]), "nonce": "tdx-nonce-7"}
if len(a) > 2 and a[1] != "-": r["runtimeData"] = {"data": b(a[1]), "dataType": a[2]}
if len(a) > 3: r["draftPolicyForAttestation"] = open(a[3]).read()
json.dump(r, open("req.json", "w"))
PY
}
post() { # PATH -> HTTP_STATUS, body
    http POST "$E$1" -H 'Content-Type: application/json' --data-binary @req.json
}

# verify_token BODY-FILE: its {"token"} checked against /certs (common.bash),
# the claims into tok.claims.json
verify_token() { jwt_verify_certs "$(json_get "$1" 'd["token"]')" certs.json; }

# profile QUOTE STATUS [RUNTIME-JSON-FILE|-]: every claim of MAA's EAT
# profile for TDX in tok.claims.json, its JSON type and its value from the
# TD report in QUOTE's bytes (docs/maa.md §3.4)
profile() {
    python3 - tok.claims.json "$@" <<'PY'
import json, struct, sys
c = json.load(open(sys.argv[1]))
q = open(sys.argv[2], "rb").read()
status, rt = sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "-"
ver = struct.unpack_from("<H", q, 0)[0]
assert struct.unpack_from("<I", q, 4)[0] == 0x81, "not a TD quote"
body = 48 if ver == 4 else 54  # v5: a 6-byte body descriptor first
btype = 2 if ver == 4 else struct.unpack_from("<H", q, 48)[0]
td = lambda off, n: q[body + off:body + off + n]
hexes = {"tdx_tee_tcb_svn": (0, 16), "tdx_mrseam": (16, 48), "tdx_mrsignerseam": (64, 48),
         "tdx_seam_attributes": (112, 8), "tdx_td_attributes": (120, 8), "tdx_xfam": (128, 8),
         "tdx_mrtd": (136, 48), "tdx_mrconfigid": (184, 48), "tdx_mrowner": (232, 48),
         "tdx_mrownerconfig": (280, 48), "tdx_rtmr0": (328, 48), "tdx_rtmr1": (376, 48),
         "tdx_rtmr2": (424, 48), "tdx_rtmr3": (472, 48), "tdx_report_data": (520, 64)}
for k, (off, n) in hexes.items():
    v = c[k]
    assert isinstance(v, str) and len(v) == 2 * n and v == v.lower(), (k, v)
    assert v == td(off, n).hex(), (k, v, td(off, n).hex())
attr = struct.unpack_from("<Q", td(120, 8))[0]
bits = {"tdx_td_attributes_debug": 0, "tdx_td_attributes_septve_disable": 28,
        "tdx_td_attributes_protection_keys": 30, "tdx_td_attributes_key_locker": 31,
        "tdx_td_attributes_perfmon": 63}
for k, b in bits.items():
    assert c[k] is bool((attr >> b) & 1), (k, c[k])
svn = td(0, 16)
assert type(c["tdx_seamsvn"]) is int and c["tdx_seamsvn"] == svn[0] | svn[1] << 8, c["tdx_seamsvn"]
assert c["eat_profile"] == "https://aka.ms/maa-eat-profile-tdxvm", c["eat_profile"]
assert c["intuse"] == "generic" and c["dbgstat"] == ("enabled" if attr & 1 else "disabled"), c
assert c["attester_tcb_status"] == status, c["attester_tcb_status"]
assert c["x-ms-attestation-type"] == "tdxvm" and c["x-ms-ver"] == "1.0", c
assert isinstance(c["x-ms-policy-hash"], str) and len(c["x-ms-policy-hash"]) == 43, c
assert isinstance(c["x-avow-tdx-advisory-ids"], list), c
assert c["x-avow-tdx-module-status"] in ("UpToDate", "OutOfDate"), c
assert c["nonce"] == "tdx-nonce-7", c
for k in ("iss", "iat", "nbf", "exp", "jti"):
    assert k in c, k
assert c["exp"] - c["iat"] == 28800, c
if rt != "-":
    assert c["x-ms-runtime"] == json.load(open(rt)), c.get("x-ms-runtime")
else:
    assert "x-ms-runtime" not in c, c
bad = [k for k in c if k.startswith(("x-ms-sgx", "x-avow-sgx", "$")) or k in ("maa-ehd", "aas-ehd", "tee")]
assert not bad, bad
if btype == 3:  # TD 1.5: TEE_TCB_SVN_2 and MRSERVICETD as Avow's claims
    assert c["x-avow-tdx-tee-tcb-svn2"] == td(584, 16).hex() and c["x-avow-tdx-mrservicetd"] == td(600, 48).hex(), c
else:
    assert "x-avow-tdx-mrservicetd" not in c, c
print(f"{len(c)} claims")
PY
}

# ---- simulated TD quotes: v4, v5, TD 1.5; JSON and Binary runtimeData -------------
body td4/quote.bin rt.json JSON
post "/attest/TdxVm?api-version=2025-06-01"
[[ $HTTP_STATUS == 200 ]] || fail "TdxVm v4: $HTTP_STATUS $(cat "$WORK/body")"
cp "$WORK/body" td4.token.json
verify_token td4.token.json
n=$(profile td4/quote.bin UpToDate rt.json) || fail "v4 profile claims"
HASH_V4=$(json_get tok.claims.json 'd["x-ms-policy-hash"]')
ok "TD quote v4 at /attest/TdxVm (2025-06-01), JSON runtimeData: token verifies with /certs, $n, profile exact"

body td5/quote.bin rt.bin Binary
post "/attest/TdxVm?api-version=2023-04-01-preview"
[[ $HTTP_STATUS == 200 ]] || fail "TdxVm v5: $HTTP_STATUS $(cat "$WORK/body")"
verify_token "$WORK/body"
n=$(profile td5/quote.bin UpToDate) || fail "v5 profile claims"
ok "TD quote v5 (TD 1.0) at /attest/TdxVm (2023-04-01-preview), Binary runtimeData: $n, no x-ms-runtime"

body td15/quote.bin rt.json JSON
post "/attest/tdxvm"
[[ $HTTP_STATUS == 200 ]] || fail "TdxVm TD 1.5: $HTTP_STATUS $(cat "$WORK/body")"
verify_token "$WORK/body"
n=$(profile td15/quote.bin UpToDate rt.json) || fail "TD 1.5 profile claims"
ok "TD quote v5 (TD 1.5) at /attest/tdxvm without api-version: $n, MRSERVICETD and TEE_TCB_SVN_2 as x-avow-tdx-*"

# runtimeData that does not match REPORTDATA
body td4/quote.bin rt.bin Binary
post "/attest/TdxVm?api-version=2025-06-01"
expect_error 400 "runtimeData does not match the quote" "TdxVm runtimeData mismatch"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["error"]; assert m["code"]=="InvalidParameter" and "REPORTDATA[0..32]" in m["message"], m' \
    "$WORK/body" || fail "mismatch error"

# ---- the wrong TEE at each route ------------------------------------------------------
body sgx/quote.bin
post "/attest/TdxVm?api-version=2025-06-01"
expect_error 400 "/attest/TdxVm takes TDX quotes: attest an enclave at /attest/SgxEnclave" "SGX quote at /attest/TdxVm"
body td4/quote.bin
post "/attest/SgxEnclave?api-version=2022-08-01"
expect_error 400 "/attest/SgxEnclave takes SGX quotes: attest a TD at /attest/TdxVm" "TD quote at /attest/SgxEnclave"
python3 - td4/quote.bin <<'PY'
import base64, json, struct, sys
q = open(sys.argv[1], "rb").read()
r = struct.pack("<IIQ", 1, 2, len(q)) + q
json.dump({"report": base64.urlsafe_b64encode(r).decode().rstrip("=")}, open("req.json", "w"))
PY
post "/attest/OpenEnclave?api-version=2022-08-01"
expect_error 400 "/attest/OpenEnclave takes SGX quotes: attest a TD at /attest/TdxVm" "TD quote at /attest/OpenEnclave"
body sgx/quote.bin
post "/attest/SgxEnclave?api-version=2022-08-01"
[[ $HTTP_STATUS == 200 ]] || fail "the SGX quote at /attest/SgxEnclave: $HTTP_STATUS $(cat "$WORK/body")"
ok "the SGX route still attests the enclave"
body td4/quote.bin
post "/attest/SevSnpVm?api-version=2025-06-01"
expect_error 400 "not supported by avowd (supported: SgxEnclave, OpenEnclave, TdxVm)" "a type avowd does not attest"
http GET "$E/policies/SevSnpVm" "${AUTH[@]}"
expect_error 400 "(supported: SgxEnclave, OpenEnclave, TdxVm)" "a policy type avowd does not keep"

# ---- /policies/TdxVm ------------------------------------------------------------------
x_ms_policy() { # token body file -> the policy text of its x-ms-policy JWS
    python3 - "$1" <<'PY'
import base64, json, sys
d = lambda x: base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
c = json.loads(d(json.load(open(sys.argv[1]))["token"].split(".")[1]))
jws = c["x-ms-policy"].split(".")
print(d(json.loads(d(jws[1]))["AttestationPolicy"]).decode(), end="")
PY
}
http GET "$E/policies/TdxVm?api-version=2025-06-01" "${AUTH[@]}"
[[ $HTTP_STATUS == 200 ]] || fail "GET /policies/TdxVm: $HTTP_STATUS $(cat "$WORK/body")"
x_ms_policy "$WORK/body" >default.txt
grep -q "=> permit();" default.txt && ! grep -q "x-ms-sgx" default.txt || fail "TdxVm default: $(cat default.txt)"
[[ $("$AVOW_BIN" policy hash default.txt) == "$HASH_V4" ]] ||
    fail "the default served is not the one the v4 token was judged by ($HASH_V4)"
http GET "$E/policies/SgxEnclave" "${AUTH[@]}"
x_ms_policy "$WORK/body" >sgx-default.txt
grep -q 'x-ms-sgx-tcbidentifier' sgx-default.txt || fail "SgxEnclave default: $(cat sgx-default.txt)"
ok "GET /policies/TdxVm: the permit-all TdxVm default, the one in force (x-ms-policy-hash $HASH_V4)"

MRTD=$(python3 -c 'import sys; print(open(sys.argv[1],"rb").read()[48+136:48+184].hex())' td4/quote.bin)
cat >tdx-policy.txt <<EOF
version= 1.2;
authorizationrules {
    [type=="tdx_td_attributes_debug", value==true] => deny();
    [type=="tdx_mrtd", value=="$MRTD"] && [type=="attester_tcb_status", value=="UpToDate"] => permit();
};
issuancerules {
    c:[type=="tdx_seamsvn"] => issue(type="module-svn", value=c.value);
    => issue(type="tdx_mrtd", value="forged");
};
EOF
"$AVOW_BIN" policy sign tdx-policy.txt --unsigned >tdx-policy.jws
http PUT "$E/policies/TdxVm?api-version=2025-06-01" "${AUTH[@]}" -H 'Content-Type: text/plain' \
    --data-binary @tdx-policy.jws
[[ $HTTP_STATUS == 200 ]] || fail "PUT /policies/TdxVm: $HTTP_STATUS $(cat "$WORK/body")"
HASH_POL=$("$AVOW_BIN" policy hash tdx-policy.txt)
body td4/quote.bin rt.json JSON
post "/attest/TdxVm"
[[ $HTTP_STATUS == 200 ]] || fail "TdxVm policy, the permitted MRTD: $HTTP_STATUS $(cat "$WORK/body")"
verify_token "$WORK/body"
python3 - tok.claims.json "$HASH_POL" "$MRTD" <<'PY' || fail "claims under the TdxVm policy"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["x-ms-policy-hash"] == sys.argv[2], c["x-ms-policy-hash"]
assert c["module-svn"] == c["tdx_seamsvn"] and c["tdx_mrtd"] == sys.argv[3], c
PY
body tddbg/quote.bin
post "/attest/TdxVm"
expect_error 400 "attestation refused by the TdxVm policy" "a debug TD under the TdxVm policy"
"$AVOW_BIN" sim quote --platform plat --out tdother --tee tdx --mrtd "$(printf '77%.0s' $(seq 48))" >/dev/null
body tdother/quote.bin
post "/attest/TdxVm"
expect_error 400 "attestation refused by the TdxVm policy" "another MRTD under the TdxVm policy"
body sgx/quote.bin
post "/attest/SgxEnclave"
[[ $HTTP_STATUS == 200 ]] || fail "SgxEnclave under its own default while TdxVm has a policy: $HTTP_STATUS"
[[ $(jwt_part "$(json_get "$WORK/body" 'd["token"]')" 1 | json_get - 'd["tee"]') == sgx ]] ||
    fail "the SGX default policy did not issue tee"
ok "PUT /policies/TdxVm: a policy on tdx_mrtd, attester_tcb_status and the debug bit permits one MRTD, denies a debug TD and another MRTD; tdx_mrtd cannot be forged; SgxEnclave keeps its default"

# a draft policy: an unsigned token judged by the draft alone
printf 'version=1.0; authorizationrules { [type=="dbgstat", value=="enabled"] => permit(); }; issuancerules { => issue(type="draft", value=true); };' >draft.txt
body tddbg/quote.bin - - draft.txt
post "/attest/TdxVm"
[[ $HTTP_STATUS == 200 ]] || fail "draft policy: $HTTP_STATUS $(cat "$WORK/body")"
TOK=$(json_get "$WORK/body" 'd["token"]')
[[ $(jwt_part "$TOK" 0 | json_get - 'd["alg"]') == none && ${TOK##*.} == "" ]] || fail "draft token is signed"
jwt_part "$TOK" 1 | python3 -c '
import json, sys; c = json.load(sys.stdin)
assert c["draft"] is True and c["dbgstat"] == "enabled" and c["tdx_td_attributes_debug"] is True, c' ||
    fail "draft claims"
ok "draftPolicyForAttestation at /attest/TdxVm: unsigned token, the draft decides (a debug TD the stored policy denies)"

printf '"eyJhbGciOiJub25lIn0.."' >reset.jws
http POST "$E/policies/TdxVm:reset?api-version=2025-06-01" "${AUTH[@]}" --data-binary @reset.jws
[[ $HTTP_STATUS == 200 ]] || fail "reset /policies/TdxVm: $HTTP_STATUS $(cat "$WORK/body")"
body tddbg/quote.bin
post "/attest/TdxVm"
[[ $HTTP_STATUS == 200 ]] || fail "after reset, the default permits the debug TD: $HTTP_STATUS"
verify_token "$WORK/body"
[[ $(json_get tok.claims.json 'd["x-ms-policy-hash"]') == "$HASH_V4" ]] || fail "reset did not restore the default"
http GET "$E/policies/TdxVm" "${AUTH[@]}"
x_ms_policy "$WORK/body" | cmp -s - default.txt || fail "GET after reset is not the default"
ok "POST /policies/TdxVm:reset restores the TdxVm default"

# ---- the CLI client ------------------------------------------------------------------
"$AVOW_BIN" attest --url "$E" --type TdxVm --runtime-data rt.json --json-runtime td4/quote.bin >cli.json ||
    fail "avow attest --type TdxVm"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert c["x-ms-attestation-type"]=="tdxvm" and c["x-ms-runtime"]["pub"]=="tdx-key", c' cli.json ||
    fail "avow attest output"
grep -q '"path":"/attest/TdxVm","route":"attest_tdxvm","status":200' a-access.log || fail "access log route"
curl -fs "$E/metrics" >metrics.txt
grep -q 'avowd_requests_total{route="attest_tdxvm",status="200"}' metrics.txt || fail "metrics route"
http GET "$E/.well-known/openid-configuration"
json_get "$WORK/body" '"tdx_mrtd" in d["claims_supported"] and "attester_tcb_status" in d["claims_supported"]' |
    grep -qx true || fail "claims_supported lacks the TDX claims"
ok "avow attest --type TdxVm (token verified), the attest_tdxvm route in logs and metrics, TDX claims in claims_supported"

# ---- TDX collateral through an upstream avowd ------------------------------------------
FMSPC=$(python3 -c 'import json,sys; print(json.loads(json.load(open(sys.argv[1]))["tcb_info"])["fmspc"].lower())' td4/collateral.json)
http GET "$E/tdx/certification/v4/tcb?fmspc=$FMSPC"
[[ $HTTP_STATUS == 200 ]] || fail "PCCS TDX tcb: $HTTP_STATUS"
json_get "$WORK/body" 'd["tcbInfo"]["id"]' | grep -qx TDX || fail "PCCS TDX tcb is not a TDX TCB Info"
grep -qi '^tcb-info-issuer-chain: ' "$WORK/headers" || fail "PCCS TDX tcb: no issuer chain header"
http GET "$E/tdx/certification/v4/qe/identity"
[[ $HTTP_STATUS == 200 ]] && json_get "$WORK/body" 'd["enclaveIdentity"]["id"]' | grep -qx TD_QE ||
    fail "PCCS TDX qe/identity: $HTTP_STATUS"
http GET "$E/sgx/certification/v4/qe/identity"
json_get "$WORK/body" 'd["enclaveIdentity"]["id"]' | grep -qx QE || fail "the SGX tree served the TD QE identity"
ok "the PCCS routes serve the TDX set (/tdx/certification/v4/tcb: id TDX, qe/identity: TD_QE) and keep the SGX tree SGX"

PC=$(free_port)
start_avowd c "$PC" --data data-c --trust-root td4/root.pem --pcs-url "$E/sgx/certification/v4"
EC="http://127.0.0.1:$PC"
body td4/quote.bin rt.json JSON
http POST "$EC/attest/TdxVm" -H 'Content-Type: application/json' --data-binary @req.json
[[ $HTTP_STATUS == 200 ]] || fail "TDX collateral through the upstream avowd: $HTTP_STATUS $(cat "$WORK/body")"
for path in /tdx/certification/v4/tcb /tdx/certification/v4/qe/identity /sgx/certification/v4/pckcrl /sgx/certification/v4/rootcacrl; do
    grep -q "\"path\":\"$path\",\"route\":\"[a-z_]*\",\"status\":200" a-access.log || fail "the upstream did not serve $path"
done
"$AVOW_BIN" collateral show --data data-c --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert len(rows) == 1 and rows[0]["tee"] == "tdx" and rows[0]["fmspc"].lower() == sys.argv[1], rows' "$FMSPC" ||
    fail "the fetched TDX set is not in the store"
body td15/quote.bin rt.json JSON
http POST "$EC/attest/TdxVm" -H 'Content-Type: application/json' --data-binary @req.json
[[ $HTTP_STATUS == 200 ]] || fail "second TD quote at the downstream avowd: $HTTP_STATUS"
[[ $(curl -fs "$EC/metrics" | awk '$1 == "avowd_upstream_fetches_total{result=\"ok\"}" { print $2 }') == 1 ]] ||
    fail "expected exactly one upstream fetch"
ok "a second avowd fetches TDX collateral from the first (tdx tcb, qe/identity, pckcrl, rootcacrl), stores a TDX row, serves the next TD quote from cache"

# ---- Phala's real TD quote P2 --------------------------------------------------------
P2="$AVOW_VECTORS/dcap/P2-phala-tdx-v4"
AT=$(json_get "$P2/expected.json" 'd["at"]')
"$AVOW_BIN" collateral import --data data-p2 "$P2/collateral.json" >import.out ||
    fail "P2 collateral import: $(cat import.out)"
PP=$(free_port)
start_avowd p2 "$PP" --data data-p2 --clock "$AT"
E="http://127.0.0.1:$PP"
http GET "$E/certs"
cp "$WORK/body" certs.json
body "$P2/quote.bin"
post "/attest/TdxVm?api-version=2025-06-01"
[[ $HTTP_STATUS == 200 ]] || fail "P2 at /attest/TdxVm: $HTTP_STATUS $(cat "$WORK/body")"
verify_token "$WORK/body"
n=$(profile "$P2/quote.bin" UpToDate) || fail "P2 profile claims"
python3 -c '
import json, sys; c = json.load(open(sys.argv[1]))
assert c["tdx_mrtd"].startswith("91eb2b44d141d4ec") and c["tdx_seamsvn"] == 262 and c["dbgstat"] == "disabled", c
assert c["x-avow-tdx-module-id"] == "TDX_01" and c["x-avow-tdx-tcb-date"] == "2024-03-13T00:00:00Z", c' tok.claims.json ||
    fail "P2 values"
ok "the real TD quote P2 (Intel root, --clock $AT): 200, token verifies, $n, attester_tcb_status UpToDate"
echo "avowd_tdxvm: all checks passed"
