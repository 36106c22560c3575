#!/usr/bin/env bash
# avowd's HTTP surface with curl: every route (health, metrics, certs, OpenID,
# attest SgxEnclave/OpenEnclave with every request shape MAA clients send,
# the PCCS endpoints) and every error path (bad JSON, bad base64url, bad or
# tampered quote, runtimeData / initTimeData mismatch, unknown and unsupported
# attestation types, oversized bodies, wrong method, unknown route, revoked
# PCK). Tokens are verified with openssl against the /certs x5c certificate.
source "$(dirname "$0")/avowd_lib/common.bash"
cd "$WORK"

# ---- evidence: a simulated platform, plus a second one whose PCK is revoked ----
"$AVOW_BIN" sim init plat >/dev/null
"$AVOW_BIN" sim init plat2 --fmspc 00a0aa200000 >/dev/null
printf 'runtime-bytes' >rt.bin
RD=$(sha256sum rt.bin | cut -d' ' -f1)
"$AVOW_BIN" sim quote --platform plat --out q --report-data "$RD" >/dev/null
"$AVOW_BIN" sim quote --platform plat2 --out qrev --report-data "$RD" --revoke-pck >/dev/null
"$AVOW_BIN" collateral import --data data --root q/root.pem --root qrev/root.pem q/collateral.json qrev/collateral.json >/dev/null
P=$(free_port)
start_avowd http "$P" --data data --trust-root q/root.pem --trust-root qrev/root.pem
E="http://127.0.0.1:$P"
Q=$(b64url_file q/quote.bin)
RT=$(b64url_file rt.bin)

# ---- health, metrics, certs, OpenID ----------------------------------------------
http GET "$E/health"
[[ $HTTP_STATUS == 200 && $(json_get "$WORK/body" 'd["status"]') == ok ]] || fail "/health"
ok "/health"
http GET "$E/certs"
[[ $HTTP_STATUS == 200 ]] || fail "/certs status $HTTP_STATUS"
python3 - "$WORK/body" <<'PY' || fail "/certs shape"
import json, sys
keys = json.load(open(sys.argv[1]))["keys"]
assert keys and all(k["kty"] == "RSA" and isinstance(k["kid"], str) and k["x5c"] for k in keys), keys
PY
cp "$WORK/body" certs.json
http GET "$E/certs/"
[[ $HTTP_STATUS == 200 ]] && cmp -s "$WORK/body" certs.json || fail "/certs/ differs from /certs"
ok "/certs and /certs/ (kty RSA, kid, x5c)"
http GET "$E/.well-known/openid-configuration"
[[ $(json_get "$WORK/body" 'd["issuer"]') == "$E" && $(json_get "$WORK/body" 'd["jwks_uri"]') == "$E/certs" ]] ||
    fail "OpenID metadata: $(cat "$WORK/body")"
ok "/.well-known/openid-configuration"

# verify_token TOKEN: RS256 signature against the /certs key named by kid,
# signed by a certificate CN=<iss> issued by CN=<iss>
verify_token() {
    jwt_verify_certs "$1" certs.json
    [[ $(openssl x509 -in tok.cert.pem -noout -subject -nameopt RFC2253) == "subject=CN=$E" ]] ||
        fail "signing certificate subject is not CN=$E"
    [[ $(openssl x509 -in tok.cert.pem -noout -issuer -nameopt RFC2253) == "issuer=CN=$E" ]] ||
        fail "signing certificate issuer is not CN=$E"
}

attest_ok() { # DESC URL BODY
    http POST "$2" -H 'Content-Type: application/json' --data-binary "$3"
    [[ $HTTP_STATUS == 200 ]] || fail "$1: status $HTTP_STATUS: $(head -c 400 "$WORK/body")"
    grep -qi '^content-type: application/json; charset=utf-8' "$WORK/headers" || fail "$1: content type"
    TOKEN=$(json_get "$WORK/body" 'd["token"]')
    verify_token "$TOKEN" || fail "$1: token"
}

# ---- attest: request shapes ---------------------------------------------------------
MRE=$(python3 -c 'import sys; print(open(sys.argv[1],"rb").read()[48+64:48+96].hex())' q/quote.bin)
attest_ok "SgxEnclave 2020-10-01" "$E/attest/SgxEnclave?api-version=2020-10-01" \
    "{\"quote\":\"$Q\",\"runtimeData\":{\"data\":\"$RT\",\"dataType\":\"Binary\"}}"
python3 - tok.claims.json tok.header.json "$E" "$MRE" "$RT" <<'PY' || fail "token claims"
import json, sys
c, h, E, mre, rt = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), *sys.argv[3:]
assert list(h) == ["alg", "jku", "kid", "typ"] and h["jku"] == E + "/certs", h
assert c["iss"] == E and c["exp"] - c["iat"] == 28800 and c["nbf"] == c["iat"], c
assert c["x-ms-sgx-mrenclave"] == mre and c["sgx-mrenclave"] == mre
for k in ("x-ms-sgx-ehd", "maa-ehd", "aas-ehd"): assert c[k] == rt, k
assert c["maa-attestationcollateral"] == c["x-ms-sgx-collateral"]
assert set(c["x-ms-sgx-collateral"]) == {"qeidcertshash","qeidcrlhash","qeidhash","quotehash","tcbinfocertshash","tcbinfocrlhash","tcbinfohash"}
assert c["x-avow-sgx-tcb-status"] == "UpToDate" and c["x-avow-sgx-advisory-ids"] == []
assert c["x-ms-ver"] == "1.0" and c["x-ms-attestation-type"] == "sgx" and c["tee"] == "sgx"
assert len(c["x-ms-sgx-report-data"]) == 128 and len(c["jti"]) == 64
assert len(c["x-ms-policy-hash"]) == 43 and "nonce" not in c
assert not any(k.startswith("$") for k in c), "no $ aliases in tokens"
PY
ok "SgxEnclave, api-version 2020-10-01: token verifies, claims match the quote"
attest_ok "2022-08-01 with nonce" "$E/attest/SgxEnclave?api-version=2022-08-01" \
    "{\"quote\": \"$Q\", \"runtimeData\": {\"data\": \"$RT\", \"dataType\": \"Binary\"}, \"nonce\": \"n-123\"}"
[[ $(json_get tok.claims.json 'd["nonce"]') == n-123 ]] || fail "nonce not echoed"
ok "2022-08-01: nonce echoed"
attest_ok "no api-version, PascalCase keys" "$E/attest/SgxEnclave" \
    "{\"Quote\":\"$Q\",\"RuntimeData\":{\"Data\":\"$RT\",\"DataType\":\"binary\"}}"
ok "no api-version, PascalCase legacy keys"
QPAD=$(python3 -c 'import base64,sys; print(base64.urlsafe_b64encode(open(sys.argv[1],"rb").read()).decode())' q/quote.bin)
QSTD=$(base64 -w0 q/quote.bin)
attest_ok "padded base64url" "$E/attest/SgxEnclave" "{\"quote\":\"$QPAD\"}"
attest_ok "standard base64" "$E/attest/SgxEnclave" "{\"quote\":\"$QSTD\"}"
ok "padded base64url and standard base64 accepted"
printf '{"k":[1,2,{"x":"y"}]}' >rt.json
"$AVOW_BIN" sim quote --platform plat --out qj --report-data "$(sha256sum rt.json | cut -d' ' -f1)" >/dev/null
attest_ok "JSON runtime data" "$E/attest/SgxEnclave" \
    "{\"quote\":\"$(b64url_file qj/quote.bin)\",\"runtimeData\":{\"data\":\"$(b64url_file rt.json)\",\"dataType\":\"JSON\"}}"
[[ $(json_get tok.claims.json 'd["x-ms-runtime"]') == '{"k": [1, 2, {"x": "y"}]}' ]] || fail "x-ms-runtime: $(cat tok.claims.json)"
ok "dataType JSON yields x-ms-runtime"
python3 - q/quote.bin oe.bin <<'PY'
import struct, sys
q = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(struct.pack("<IIQ", 1, 2, len(q)) + q)
PY
attest_ok "OpenEnclave" "$E/attest/OpenEnclave?api-version=2020-10-01" \
    "{\"report\":\"$(b64url_file oe.bin)\",\"runtimeData\":{\"data\":\"$RT\",\"dataType\":\"Binary\"}}"
[[ $(json_get tok.claims.json 'd["x-ms-sgx-mrenclave"]') == "$MRE" ]] || fail "OE mrenclave"
ok "OpenEnclave report (OE header unwrapped)"
# initTimeData: SHA-256 must equal CONFIGID[0..32] (zero in this quote)
http POST "$E/attest/SgxEnclave" --data-binary "{\"quote\":\"$Q\",\"initTimeData\":{\"data\":\"$RT\",\"dataType\":\"Binary\"}}"
expect_error 400 "initTimeData does not match" "initTimeData vs CONFIGID"
# ...and with a CONFIGID that binds it (KSS enclave): x-ms-inittime and the KSS claims
printf '{"cfg":"prod","n":7}' >it.json
IT_HASH=$(sha256sum it.json | cut -d' ' -f1)
"$AVOW_BIN" sim quote --platform plat --out qi --config-id "$IT_HASH" >/dev/null
attest_ok "initTimeData bound by CONFIGID" "$E/attest/SgxEnclave" \
    "{\"quote\":\"$(b64url_file qi/quote.bin)\",\"initTimeData\":{\"data\":\"$(b64url_file it.json)\",\"dataType\":\"JSON\"}}"
[[ $(json_get tok.claims.json 'd["x-ms-inittime"]') == '{"cfg": "prod", "n": 7}' ]] || fail "x-ms-inittime: $(cat tok.claims.json)"
[[ $(json_get tok.claims.json 'd["x-ms-sgx-config-id"]') == "$IT_HASH$(printf '0%.0s' $(seq 64))" ]] ||
    fail "x-ms-sgx-config-id: $(json_get tok.claims.json 'd["x-ms-sgx-config-id"]')"
ok "initTimeData bound by CONFIGID[0..32] yields x-ms-inittime and x-ms-sgx-config-id"

# ---- attest: error paths --------------------------------------------------------------
A="$E/attest/SgxEnclave?api-version=2022-08-01"
http POST "$A" --data-binary '{"quote": "abc",'
expect_error 400 "not valid JSON" "malformed JSON"
http POST "$A" --data-binary '["quote"]'
expect_error 400 "must be a JSON object" "JSON array body"
http POST "$A" --data-binary ''
expect_error 400 "empty request body" "empty body"
http POST "$A" --data-binary '{"runtimeData":{"data":"AA","dataType":"Binary"}}'
expect_error 400 '"quote" is missing' "missing quote"
http POST "$A" --data-binary '{"quote":"not*base64url"}'
expect_error 400 "base64url" "bad base64url"
http POST "$A" --data-binary "{\"quote\":\"$Q\",\"Quote\":\"$Q\"}"
expect_error 400 "case-insensitive" "duplicate key differing in case"
http POST "$A" --data-binary "{\"quote\":\"$Q\",\"runtimeData\":{\"data\":\"$RT\",\"dataType\":\"Text\"}}"
expect_error 400 "dataType" "unknown dataType"
http POST "$A" --data-binary "{\"quote\":\"$Q\",\"runtimeData\":{\"data\":\"$RT\",\"dataType\":\"JSON\"}}"
expect_error 400 "not a JSON object" "dataType JSON with non-JSON data"
http POST "$A" --data-binary "{\"quote\":\"$(b64url_str 'this is not a quote')\"}"
expect_error 400 "does not parse" "bad quote"
http POST "$A" --data-binary "{\"quote\":\"$Q\",\"runtimeData\":{\"data\":\"$(b64url_str other)\",\"dataType\":\"Binary\"}}"
expect_error 400 "runtimeData does not match" "runtimeData mismatch"
python3 - q/quote.bin tampered.bin <<'PY'
import sys
q = bytearray(open(sys.argv[1], "rb").read()); q[48 + 64] ^= 1   # MRENCLAVE bit flip
open(sys.argv[2], "wb").write(q)
PY
http POST "$A" --data-binary "{\"quote\":\"$(b64url_file tampered.bin)\"}"
expect_error 400 "quote verification failed" "tampered quote"
grep -qi signature "$WORK/body" || fail "tampered quote: message does not name the signature: $(cat "$WORK/body")"
http POST "$A" --data-binary "{\"quote\":\"$(b64url_file qrev/quote.bin)\"}"
expect_error 400 "revoked" "revoked PCK certificate"
http POST "$E/attest/OpenEnclave" --data-binary "{\"report\":\"$Q\"}"
expect_error 400 "Open Enclave header" "OE report without the OE header"
http POST "$E/attest/OpenEnclave" --data-binary "{\"quote\":\"$Q\"}"
expect_error 400 "report" "OE request with a quote member"
http POST "$E/attest/SgxEnclave" --data-binary "{\"quote\":\"$Q\",\"draftPolicyForAttestation\":\"version=1.0; authorizationrules { => permit(; };\"}"
expect_error 400 "draftPolicyForAttestation" "draft policy syntax error"
http POST "$E/attest/Bogus" --data-binary "{\"quote\":\"$Q\"}"
expect_error 400 "unknown attestation type" "unknown attestation type"
http POST "$E/attest/Tpm" --data-binary '{"data":"AA"}'
expect_error 400 "not supported" "unsupported attestation type"
head -c 1100000 /dev/zero | tr '\0' 'A' >big.txt
http POST "$A" -H 'Content-Type: application/json' --data-binary @big.txt
expect_error 413 "exceeds the limit" "oversized body (Content-Length)"
http POST "$A" -H 'Transfer-Encoding: chunked' --data-binary @big.txt
expect_error 413 "exceeds the limit" "oversized body (chunked)"
http GET "$A"
expect_error 405 "not allowed" "GET on an attest route"
grep -qi '^allow: POST' "$WORK/headers" || fail "405 without Allow header"
http DELETE "$E/certs"
expect_error 405 "not allowed" "DELETE /certs"
http GET "$E/no/such/route"
expect_error 404 "no route" "unknown route"
http GET "$E/policies/Tpm"
expect_error 400 "not supported" "policy of an unsupported type"

# ---- PCCS endpoints (served from the store) ------------------------------------------
FM=00a0aa100000
http GET "$E/sgx/certification/v4/tcb?fmspc=$FM"
[[ $HTTP_STATUS == 200 && $(json_get "$WORK/body" 'd["tcbInfo"]["fmspc"].lower()') == "$FM" ]] || fail "PCCS tcb: $HTTP_STATUS"
grep -qi '^TCB-Info-Issuer-Chain: -----BEGIN%20CERTIFICATE-----' "$WORK/headers" || fail "TCB-Info-Issuer-Chain not URL-encoded PEM"
ok "PCCS /tcb with URL-encoded issuer chain"
http GET "$E/sgx/certification/v4/tcb?fmspc=zz"
expect_error 400 "fmspc" "PCCS /tcb bad fmspc"
http GET "$E/sgx/certification/v4/tcb?fmspc=001122334455"
expect_error 404 "no collateral" "PCCS /tcb unknown fmspc"
http GET "$E/sgx/certification/v4/qe/identity"
[[ $HTTP_STATUS == 200 && $(json_get "$WORK/body" 'd["enclaveIdentity"]["id"]') == QE ]] || fail "PCCS qe/identity"
grep -qi '^SGX-Enclave-Identity-Issuer-Chain: -----BEGIN%20CERTIFICATE' "$WORK/headers" || fail "QE identity chain header"
ok "PCCS /qe/identity"
http GET "$E/sgx/certification/v4/pckcrl?ca=processor&encoding=der"
[[ $HTTP_STATUS == 200 ]] && openssl crl -inform DER -in "$WORK/body" -noout 2>/dev/null || fail "PCCS pckcrl DER"
grep -qi '^SGX-PCK-CRL-Issuer-Chain: -----BEGIN%20CERTIFICATE' "$WORK/headers" || fail "PCK CRL chain header"
http GET "$E/sgx/certification/v4/pckcrl?ca=processor"
[[ $HTTP_STATUS == 200 ]] && openssl crl -in "$WORK/body" -noout 2>/dev/null || fail "PCCS pckcrl PEM"
ok "PCCS /pckcrl (DER and PEM)"
http GET "$E/sgx/certification/v4/pckcrl?ca=nobody"
expect_error 400 "ca must be" "PCCS /pckcrl bad ca"
http GET "$E/sgx/certification/v4/rootcacrl"
[[ $HTTP_STATUS == 200 ]] && xxd -r -p "$WORK/body" | openssl crl -inform DER -noout 2>/dev/null || fail "PCCS rootcacrl (hex DER)"
ok "PCCS /rootcacrl (hex-encoded DER)"

# ---- metrics reflect what happened --------------------------------------------------
http GET "$E/metrics"
[[ $HTTP_STATUS == 200 ]] || fail "/metrics"
for want in 'avowd_requests_total{route="attest_sgxenclave",status="200"}' \
            'avowd_requests_total{route="attest_sgxenclave",status="413"}' \
            'avowd_request_duration_seconds_bucket{route="attest_sgxenclave",le="+Inf"}' \
            'avowd_attestations_total{verdict="ok",tcb_status="UpToDate"}' \
            'avowd_attestations_total{verdict="fail",tcb_status=' \
            'avowd_collateral_cache_total{result="hit"}' 'avowd_upstream_fetches_total{result="ok"} 0'; do
    grep -qF "$want" "$WORK/body" || fail "/metrics lacks $want"
done
ok "/metrics: requests, latency histogram, verdicts by TCB status, cache hits"
echo "avowd_http: all checks passed"
