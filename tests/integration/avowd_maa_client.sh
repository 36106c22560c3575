#!/usr/bin/env bash
# avowd against the real Microsoft Azure Attestation client (@azure/attestation
# 1.0.0 from tests/node, pinned by package-lock.json), full token validation on:
#  (a) simulated quotes (avowd --trust-root, collateral imported with
#      `avow collateral import`): SgxEnclave with binary and JSON runtime
#      data, OpenEnclave (OE header), and a runtimeData mismatch;
#  (b) the real Intel quote of tests/vectors/data/dcap/P1-phala-sgx-v3 with
#      its collateral imported and --clock at its `at`;
#  (c) the Azure-Samples MAA quotes (tests/vectors/data/maa): no collateral
#      exists for their platform in the repository, so the client must get a clear 400 naming
#      the missing collateral after the runtimeData binding passed, and a 400
#      for a wrong enclave-held-data;
#  (d) https (--tls-cert/--tls-key) with the admin client: policy set/get/reset
#      in "token" mode (admin bearer token) and in "isolated" mode (signed
#      policies, policy-signer certificate add/remove, and an attestation under
#      the signed policy whose token names the signer: x-ms-policy-signer).
source "$(dirname "$0")/avowd_lib/common.bash"

NODE_DIR="$AVOW_SOURCE/tests/node"
command -v node >/dev/null || fail "node is not installed (scripts/setup.sh installs it)"
if [[ ! -d $NODE_DIR/node_modules/@azure/attestation ]]; then
    echo "tests/node/node_modules missing: running npm ci" >&2
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
        fail "npm ci in tests/node failed (the real MAA client is required)"
fi
node -e 'const v=require(process.argv[1]+"/node_modules/@azure/attestation/package.json").version; if(v!=="1.0.0"){console.error("@azure/attestation "+v);process.exit(1)}' "$NODE_DIR" ||
    fail "tests/node must pin @azure/attestation 1.0.0"
export NODE_PATH="$NODE_DIR/node_modules"
nodecheck() { node "$NODE_DIR/$1" "${@:2}"; }

cd "$WORK"
NOW=$(date +%s)

# ---- (a) simulated platform ---------------------------------------------------
"$AVOW_BIN" sim init plat >/dev/null
printf 'avow interop runtime data %s' "$NOW" >rt.bin
printf '{"jwk":{"kty":"RSA","n":"abc","e":"AQAB"},"nonce":"%s"}' "$NOW" >rt.json
"$AVOW_BIN" sim quote --platform plat --out qbin --report-data "$(sha256sum rt.bin | cut -d' ' -f1)" >/dev/null
"$AVOW_BIN" sim quote --platform plat --out qjson --report-data "$(sha256sum rt.json | cut -d' ' -f1)" >/dev/null
"$AVOW_BIN" collateral import --data data-a --root qbin/root.pem qbin/collateral.json >/dev/null
# Open Enclave report: 01000000 02000000 <u64 size> || quote
python3 - qbin/quote.bin oe-report.bin <<'PY'
import struct, sys
q = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(struct.pack("<IIQ", 1, 2, len(q)) + q)
PY
PA=$(free_port)
start_avowd a "$PA" --data data-a --trust-root qbin/root.pem
EA="http://127.0.0.1:$PA"
out=$(nodecheck attest_check.js "$EA" qbin/quote.bin --runtime rt.bin --expect-tcb-status UpToDate) ||
    fail "(a) SgxEnclave with binary runtime data"
ok "(a) SgxEnclave, binary runtimeData: $out"
out=$(nodecheck attest_check.js "$EA" qjson/quote.bin --runtime rt.json --runtime-json) ||
    fail "(a) SgxEnclave with JSON runtime data"
ok "(a) SgxEnclave, JSON runtimeData (x-ms-runtime): $out"
out=$(nodecheck attest_check.js "$EA" oe-report.bin --oe --runtime rt.bin) ||
    fail "(a) OpenEnclave report"
ok "(a) OpenEnclave report: $out"
out=$(nodecheck attest_expect_error.js "$EA" qbin/quote.bin --runtime rt.json --status 400 \
      --message "runtimeData does not match") || fail "(a) runtimeData mismatch"
ok "(a) runtimeData mismatch surfaces as RestError 400: $out"
printf 'version=1.0; authorizationrules { => permit(); }; issuancerules { => issue(type="draft-ran", value=true); };' >draft.txt
out=$(nodecheck attest_check.js "$EA" qbin/quote.bin --runtime rt.bin --draft-policy draft.txt) ||
    fail "(a) draft policy"
ok "(a) draftPolicyForAttestation gives an alg:none token the client accepts: $out"

# ---- (b) real Intel quote P1 at its time ---------------------------------------
P1="$AVOW_VECTORS/dcap/P1-phala-sgx-v3"
AT=$(json_get "$P1/expected.json" 'd["at"]')
"$AVOW_BIN" collateral import --data data-b "$P1/collateral.json" >/dev/null
PB=$(free_port)
start_avowd b "$PB" --data data-b --clock "$AT"
out=$(nodecheck attest_check.js "http://127.0.0.1:$PB" "$P1/quote.bin" \
      --expect-tcb-status "$(json_get "$P1/expected.json" 'd["expect"]["status"]')") ||
    fail "(b) P1-phala-sgx-v3"
ok "(b) P1-phala-sgx-v3 (real Intel quote, --clock $AT): $out"
echo "$out" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
assert sorted(d["advisoryIds"]) == ["INTEL-SA-00289", "INTEL-SA-00615"], d
assert d["isDebuggable"] is False, d' || fail "(b) P1 advisory IDs / debug flag"
ok "(b) P1 advisory IDs INTEL-SA-00289, INTEL-SA-00615"

# ---- (c) Azure-Samples MAA quotes (no collateral available) --------------------
MAA="$AVOW_VECTORS/maa"
python3 - "$MAA" <<'PY'
import json, struct, sys
maa = sys.argv[1]
for kind in ("intel-sdk-quotes", "oe-sdk-quotes"):
    info = json.load(open(f"{maa}/{kind}/enclave.info.release.json"))
    open(f"{kind}.ehd", "wb").write(bytes.fromhex(info["EnclaveHeldDataHex"]))
    open(f"{kind}.evidence", "wb").write(bytes.fromhex(info["QuoteHex"]))
PY
[[ $(xxd -p intel-sdk-quotes.ehd) == 010203040506 ]] || fail "(c) intel-sdk EHD is not 010203040506"
out=$(nodecheck attest_expect_error.js "$EA" intel-sdk-quotes.evidence --runtime intel-sdk-quotes.ehd \
      --status 400 --message "no collateral for FMSPC") || fail "(c) intel-sdk quote"
ok "(c) intel-sdk quote, EHD 010203040506 binds, then: $out"
out=$(nodecheck attest_expect_error.js "$EA" intel-sdk-quotes.evidence --runtime rt.bin \
      --status 400 --message "runtimeData does not match") || fail "(c) intel-sdk wrong EHD"
ok "(c) intel-sdk quote with the wrong EHD refused"
out=$(nodecheck attest_expect_error.js "$EA" oe-sdk-quotes.evidence --oe --runtime oe-sdk-quotes.ehd \
      --status 400 --message "no collateral for FMSPC") || fail "(c) OE sample report"
ok "(c) OE-SDK report via attestOpenEnclave, EHD binds, then: $out"

# ---- (d) https + admin client ---------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout tls.key -out tls.pem -days 2 \
    -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
cat >policy.txt <<'EOF'
version= 1.0;
authorizationrules
{
    [ type=="x-ms-sgx-is-debuggable", value==false ] => permit();
};
issuancerules
{
    c:[type=="x-ms-sgx-mrsigner"] => issue(type="interop-signer", value=c.value);
};
EOF
ADMIN=$(openssl rand -hex 24)
cp -r data-a data-c
PC=$(free_port)
start_avowd c "$PC" --data data-c --trust-root qbin/root.pem --tls-cert tls.pem --tls-key tls.key \
    --admin-token "$ADMIN"
out=$(NODE_EXTRA_CA_CERTS=tls.pem nodecheck admin_check.js "https://127.0.0.1:$PC" token "$ADMIN" policy.txt) ||
    fail "(d) admin client, token mode"
ok "(d) admin client over https, token mode: $out"
out=$(NODE_EXTRA_CA_CERTS=tls.pem nodecheck attest_check.js "https://127.0.0.1:$PC" qbin/quote.bin --runtime rt.bin \
      --signer-claim interop-signer) ||
    fail "(d) attest over https under the new policy"
ok "(d) attestation over https (iss https://127.0.0.1:$PC) under the policy just set"

openssl req -x509 -newkey rsa:2048 -nodes -keyout signer.key -out signer.pem -days 30 -subj "/CN=avow policy signer" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout signer2.key -out signer2.pem -days 30 -subj "/CN=avow second signer" 2>/dev/null
PD=$(free_port)
start_avowd d "$PD" --data data-d --trust-root qbin/root.pem --tls-cert tls.pem --tls-key tls.key \
    --policy-signer-cert signer.pem
"$AVOW_BIN" collateral import --data data-d --root qbin/root.pem qbin/collateral.json >/dev/null # into the running avowd
out=$(NODE_EXTRA_CA_CERTS=tls.pem nodecheck admin_check.js "https://127.0.0.1:$PD" isolated signer.key signer.pem policy.txt signer2.pem signer2.key \
      qbin/quote.bin) ||
    fail "(d) admin client, isolated mode"
ok "(d) admin client over https, isolated mode: $out"
echo "avowd_maa_client: all checks passed"
