#!/usr/bin/env bash
# Regenerates the fixed service material of the HTTP fuzz target
# (tests/fuzz/fuzz_http.c) and its seeds in tests/fuzz/corpus/fuzz_http/:
# a simulated SGX platform's root certificate and collateral (imported into
# the fuzz target's store), the clock the service is pinned to, a policy
# signer's certificate (the isolated-mode service trusts it), and one seed per
# route with real bodies: attest requests carrying a simulated quote, an
# unsigned and a signed policy, resets, certificate requests. Private keys
# live only in a temporary folder: the seeds carry their signatures.
#
#   tests/fuzz/fuzz_http_data/make.sh [AVOW_BIN]      (default build/avow)
#
# Seed format (fuzz_http.c): "METHOD TARGET [isolated]\n", then header lines
# "Name: value\n", an empty line, then the body.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
avow=$(realpath "${1:-$root/build/avow}")
data=$root/tests/fuzz/fuzz_http_data
seeds=$root/tests/fuzz/corpus/fuzz_http
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"

T0=$(date -u +%s)
CLOCK=$((T0 + 3600))
"$avow" sim init plat --now "$T0" >/dev/null
printf 'fuzz runtime data' >rt.bin
printf '{"fuzz":"runtime","n":1}' >rt.json
"$avow" sim quote --platform plat --out q --now "$T0" --next-update $((T0 + 20 * 365 * 86400)) \
    --report-data "$(sha256sum rt.bin | cut -d' ' -f1)" >/dev/null
"$avow" sim quote --platform plat --out qj --now "$T0" --next-update $((T0 + 20 * 365 * 86400)) \
    --report-data "$(sha256sum rt.json | cut -d' ' -f1)" --debug \
    --config-id "$(printf init | sha256sum | cut -d' ' -f1)" >/dev/null
for n in signer signer2; do
    openssl req -x509 -newkey rsa:2048 -nodes -keyout $n.key -out $n.pem -days 36500 \
        -subj "/CN=avow fuzz $n" 2>/dev/null
done
cat >custom.txt <<'POL'
version=1.0;
authorizationrules { c:[type=="x-ms-sgx-is-debuggable", value==false] => permit(); };
issuancerules { c:[type=="x-ms-sgx-mrsigner"] => issue(type="signer", value=c.value); };
POL
"$avow" policy sign custom.txt --unsigned --iat "$T0" >unsigned.jws
"$avow" policy sign custom.txt --unsigned --no-iat >unsigned_noiat.jws
"$avow" policy sign custom.txt --key signer.key --cert signer.pem --iat "$T0" >signed.jws
"$avow" policy sign custom.txt --key signer.key --cert signer.pem --no-iat >signed_noiat.jws
"$avow" policy sign-cert-request add signer2.pem --key signer.key --cert signer.pem --iat "$T0" >add.jws
"$avow" policy sign-cert-request remove signer2.pem --key signer.key --cert signer.pem --iat "$T0" >remove.jws

mkdir -p "$data" "$seeds"
cp q/root.pem "$data/root.pem"
cp q/collateral.json "$data/collateral.json"
cp signer.pem "$data/signer.pem"
echo "$CLOCK" >"$data/clock"
rm -f "$seeds"/*

python3 - "$W" "$seeds" <<'PY'
import base64, hashlib, json, struct, subprocess, sys
w, out = sys.argv[1], sys.argv[2]
e = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
rd = lambda p: open(f"{w}/{p}", "rb").read()
txt = lambda p: rd(p).decode().strip()
ADMIN = "Authorization: Bearer fuzz-admin-token"
JSON = "Content-Type: application/json"

def seed(name, line, headers=(), body=b""):
    if isinstance(body, str):
        body = body.encode()
    head = line + "\n" + "".join(h + "\n" for h in headers) + "\n"
    open(f"{out}/{name}", "wb").write(head.encode() + body)

quote, quote_j = rd("q/quote.bin"), rd("qj/quote.bin")
rt, rtj = rd("rt.bin"), rd("rt.json")
j = lambda o: json.dumps(o, separators=(",", ":"))
attest = {"quote": e(quote), "runtimeData": {"data": e(rt), "dataType": "Binary"}, "nonce": "n-1"}
seed("attest_sgx", "POST /attest/SgxEnclave?api-version=2022-08-01", [JSON], j(attest))
seed("attest_sgx_json_runtime", "POST /attest/SgxEnclave?api-version=2022-08-01", [JSON],
     j({"quote": e(quote_j), "runtimeData": {"data": e(rtj), "dataType": "JSON"},
        "initTimeData": {"data": e(b"init"), "dataType": "Binary"}}))
seed("attest_sgx_draft", "POST /attest/SgxEnclave?api-version=2022-08-01", [JSON],
     j({"quote": e(quote), "runtimeData": {"data": e(rt), "dataType": "Binary"},
        "draftPolicyForAttestation": txt("custom.txt")}))
seed("attest_sgx_ehd", "POST /attest/SgxEnclave", [JSON], j({"Quote": e(quote), "EnclaveHeldData": e(rt)}))
seed("attest_sgx_small", "POST /attest/SgxEnclave", [JSON], j({"quote": e(quote[:48])}))
oe = struct.pack("<IIQ", 1, 2, len(quote)) + quote
seed("attest_oe", "POST /attest/OpenEnclave?api-version=2022-08-01", [JSON],
     j({"report": e(oe), "runtimeData": {"data": e(rt), "dataType": "Binary"}}))
seed("attest_other", "POST /attest/TdxVm?api-version=2023-04-01-preview", [JSON], j({"quote": e(quote)}))
seed("attest_isolated", "POST /attest/sgxenclave isolated", [JSON], j(attest))

seed("policy_get", "GET /policies/SgxEnclave?api-version=2022-08-01", [ADMIN])
seed("policy_get_oe_isolated", "GET /policies/OpenEnclave isolated", [ADMIN])
seed("policy_get_nobearer", "GET /policies/SgxEnclave")
seed("policy_put_unsigned", "PUT /policies/SgxEnclave", [ADMIN, "Content-Type: text/plain"], txt("unsigned.jws"))
seed("policy_put_unsigned_noiat", "PUT /policies/OpenEnclave", [ADMIN], '"' + txt("unsigned_noiat.jws") + '"')
seed("policy_put_signed", "PUT /policies/SgxEnclave isolated", [ADMIN], txt("signed.jws"))
seed("policy_put_signed_noiat", "PUT /policies/SgxEnclave isolated", [ADMIN], txt("signed_noiat.jws"))
seed("policy_reset", "POST /policies/SgxEnclave:reset", [ADMIN], "eyJhbGciOiJub25lIn0..")
seed("policy_reset_other", "POST /policies/Tpm:reset", [ADMIN], "eyJhbGciOiJub25lIn0..")
seed("certificates_get", "GET /certificates isolated", [ADMIN])
seed("certificates_add", "POST /certificates:add isolated", [ADMIN], txt("add.jws"))
seed("certificates_remove", "POST /certificates:remove isolated", [ADMIN], txt("remove.jws"))
seed("certificates_add_token", "POST /certificates:add", [ADMIN], txt("add.jws"))

seed("certs", "GET /certs")
seed("certs_slash_head", "HEAD /certs/")
seed("openid", "GET /.well-known/openid-configuration")
seed("health", "GET /health")
seed("metrics", "GET /metrics")
seed("not_found", "GET /nothing/here")
seed("method_not_allowed", "DELETE /policies/SgxEnclave", [ADMIN])

coll = json.load(open(f"{w}/q/collateral.json"))
fm = json.loads(coll["tcb_info"])["fmspc"]
seed("pccs_tcb", f"GET /sgx/certification/v4/tcb?fmspc={fm}")
seed("pccs_tcb_tdx", f"GET /tdx/certification/v4/tcb?fmspc={fm}")
seed("pccs_qe", "GET /sgx/certification/v4/qe/identity")
seed("pccs_qe_tdx", "GET /tdx/certification/v4/qe/identity")
seed("pccs_pckcrl", "GET /sgx/certification/v4/pckcrl?ca=processor")
seed("pccs_pckcrl_der", "GET /sgx/certification/v4/pckcrl?ca=platform&encoding=der")
seed("pccs_rootcacrl", "GET /sgx/certification/v4/rootcacrl")
PY
ls "$seeds" | wc -l
