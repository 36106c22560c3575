#!/usr/bin/env bash
# avowd and `avow policy eval` run one MAA attestation (libavow's attest.h):
# for the same request they must give the same decision and, on permit,
# exactly the same token claims, claim for claim (avowd's token less the five
# claims its signer adds: iss, iat, nbf, exp, jti; eval's token_claims). The
# cases: JSON and binary runtimeData, JSON and binary initTimeData bound by
# CONFIGID (a KSS enclave), a nonce, a policy that issues claims (and tries to
# issue reserved ones), a policy JWS signed by a policy signer
# (x-ms-policy-signer), the default policy, a draft policy (unsigned token),
# and refusals (policy deny, runtimeData that does not match) with the same
# reason on both sides. Then the same for TD quotes at /attest/TdxVm (v4 and
# v5 TD 1.5; the TdxVm default, a stored policy on TDX claims, a draft, the
# refusals), with eval taking the type from the quote or from --type. In both
# the freshness claims (docs/policy.md: x-avow-sgx-*, x-avow-tdx-*) are
# present, the supplemental object equal to the verification's, the ages and
# evaluation number real JSON integers.
source "$(dirname "$0")/avowd_lib/common.bash"
cd "$WORK"

"$AVOW_BIN" sim init plat >/dev/null
printf '{"k":[1,2,{"x":"y"}],"pub":"abc"}' >rt.json
printf 'binary runtime \001\002' >rt.bin
printf '{"cfg":"prod","n":7}' >it.json
printf 'binary init time' >it.bin
ZEROS=$(printf '0%.0s' $(seq 64))
"$AVOW_BIN" sim quote --platform plat --out qj --report-data "$(sha256sum rt.json | cut -d' ' -f1)$ZEROS" \
    --config-id "$(sha256sum it.json | cut -d' ' -f1)" >/dev/null
"$AVOW_BIN" sim quote --platform plat --out qb --report-data "$(sha256sum rt.bin | cut -d' ' -f1)$ZEROS" \
    --config-id "$(sha256sum it.bin | cut -d' ' -f1)" >/dev/null
# avowd and eval judge with the same collateral: the set imported here
"$AVOW_BIN" collateral import --data data --root qj/root.pem qj/collateral.json >/dev/null
AT=$(python3 -c 'import time; print(int(time.time()))')

cat >issuing.txt <<'EOF'
version= 1.2;
authorizationrules {
    [type=="x-ms-sgx-is-debuggable", value==false] => permit();
};
issuancerules {
    c:[type=="x-ms-sgx-mrsigner"] => issue(type="signer", value=c.value);
    c:[type=="x-avow-sgx-tcb-status"] => issue(type="tcb", value=c.value);
    => issue(type="x-ms-sgx-mrenclave", value="forged");
    => issue(type="iat", value=1);
    => issue(type="stage", value="agree");
};
EOF
cat >deny.txt <<'EOF'
version= 1.0;
authorizationrules {
    [type=="x-ms-sgx-is-debuggable", value==false] => deny();
    => permit();
};
EOF
openssl req -x509 -newkey rsa:2048 -nodes -keyout signer.key -out signer.pem -days 2 \
    -subj "/CN=agree policy signer" 2>/dev/null
"$AVOW_BIN" policy sign issuing.txt --key signer.key --cert signer.pem >issuing.jws
"$AVOW_BIN" policy sign issuing.txt --unsigned --no-iat >issuing.unsigned.jws

ADMIN=$(openssl rand -hex 16)
P=$(free_port)
start_avowd a "$P" --data data --trust-root qj/root.pem --clock "$AT" --admin-token "$ADMIN"
E="http://127.0.0.1:$P"

TYPE=SgxEnclave COLL=qj/collateral.json EVAL_TYPE=() # what the cases below attest
put_policy() { # JWS-FILE
    http PUT "$E/policies/$TYPE?api-version=2022-08-01" -H "Authorization: Bearer $ADMIN" \
        -H 'Content-Type: text/plain' --data-binary "@$1"
    [[ $HTTP_STATUS == 200 ]] || fail "PUT policy $1: $HTTP_STATUS $(cat "$WORK/body")"
}

# request QUOTE-DIR RT-FILE RT-TYPE IT-FILE IT-TYPE [DRAFT-FILE] -> req.json
request() {
    python3 - "$@" <<'PY'
import base64, json, sys
b = lambda p: base64.urlsafe_b64encode(open(p, "rb").read()).decode().rstrip("=")
q, rt, rtt, it, itt = sys.argv[1:6]
r = {"quote": b(q + "/quote.bin"), "nonce": "agree-nonce-1"}
if rt != "-": r["runtimeData"] = {"data": b(rt), "dataType": rtt}
if it != "-": r["initTimeData"] = {"data": b(it), "dataType": itt}
if len(sys.argv) > 6: r["draftPolicyForAttestation"] = open(sys.argv[6]).read()
json.dump(r, open("req.json", "w"))
PY
}

# eval_args RT-FILE RT-TYPE IT-FILE IT-TYPE -> the matching `avow policy eval` options
eval_args() {
    local a=()
    [[ $1 == - ]] || { [[ $2 == JSON ]] && a+=(--runtime-json "$1") || a+=(--runtime-data "$1"); }
    [[ $3 == - ]] || { [[ $4 == JSON ]] && a+=(--init-time-json "$3") || a+=(--init-time-data "$3"); }
    echo "${a[@]}"
}

# agree NAME POLICY-FOR-EVAL QUOTE-DIR RT RT-TYPE IT IT-TYPE [DRAFT]: both permit, same claims
agree() {
    local name=$1 pol=$2 q=$3 rt=$4 rtt=$5 it=$6 itt=$7 draft=${8:-}
    request "$q" "$rt" "$rtt" "$it" "$itt" ${draft:+"$draft"}
    http POST "$E/attest/$TYPE?api-version=2022-08-01" -H 'Content-Type: application/json' \
        --data-binary @req.json
    [[ $HTTP_STATUS == 200 ]] || fail "$name: avowd answered $HTTP_STATUS $(cat "$WORK/body")"
    # shellcheck disable=SC2046
    "$AVOW_BIN" policy eval "$pol" --quote "$q/quote.bin" --collateral "$COLL" "${EVAL_TYPE[@]}" \
        --root "$q/root.pem" --at "$AT" --nonce agree-nonce-1 $(eval_args "$rt" "$rtt" "$it" "$itt") \
        --json >eval.json || fail "$name: policy eval exit $? $(cat eval.json)"
    python3 - "$WORK/body" eval.json "$name" "${draft:+unsigned}" <<'PY' || fail "$name: the two disagree"
import base64, json, sys
tok = json.load(open(sys.argv[1]))["token"]
h, p, s = tok.split(".")
d = lambda x: json.loads(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))
header, claims = d(h), d(p)
if sys.argv[4] == "unsigned":
    assert header["alg"] == "none" and s == "", header
else:
    assert header["alg"] == "RS256", header
for k in ("iss", "iat", "nbf", "exp", "jti"):
    assert k in claims, k
    del claims[k]
ev = json.load(open(sys.argv[2]))
assert ev["decision"] == "permit", ev.get("reason")
json.dump(claims, open("avowd_claims.json", "w"))
mine = ev["token_claims"]
if claims != mine:
    for k in sorted(set(claims) | set(mine)):
        if claims.get(k) != mine.get(k):
            print(f"  {k}: avowd {claims.get(k)!r} eval {mine.get(k)!r}", file=sys.stderr)
    sys.exit(1)
print(f"ok: {sys.argv[3]}: {len(claims)} claims identical")
PY
}

# the default policy (nothing stored yet), as GET /policies serves it
get_default() { # -> default.jws
    http GET "$E/policies/$TYPE?api-version=2022-08-01" -H "Authorization: Bearer $ADMIN"
    [[ $HTTP_STATUS == 200 ]] || fail "GET policy: $HTTP_STATUS"
    python3 - "$WORK/body" >default.jws <<'PY'
import base64, json, sys
p = json.load(open(sys.argv[1]))["token"].split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["x-ms-policy"])
PY
}
get_default
agree "default policy, JSON runtime and init time" default.jws qj rt.json JSON it.json JSON
# a stored unsigned policy that issues claims (and tries reserved names)
put_policy issuing.unsigned.jws
agree "issuing policy, JSON data" issuing.txt qj rt.json JSON it.json JSON
agree "issuing policy, binary data" issuing.txt qb rt.bin Binary it.bin Binary
agree "issuing policy, no data" issuing.txt qb - - - -
python3 -c '
import json; c = json.load(open("eval.json"))["token_claims"]
assert c["stage"] == "agree" and c["signer"] == c["x-ms-sgx-mrsigner"] and c["tcb"] == "UpToDate", c
assert c["x-ms-sgx-mrenclave"] != "forged" and "iat" not in c, c
assert c["nonce"] == "agree-nonce-1" and c["x-ms-policy-hash"], c' || fail "issued claims"
ok "issued claims at top level; reserved names (x-ms-*, iat) not issued"
# a policy signed by a policy signer: x-ms-policy-signer on both sides
put_policy issuing.jws
agree "signed policy (x-ms-policy-signer)" issuing.jws qj rt.json JSON it.json JSON
python3 -c '
import json; c = json.load(open("eval.json"))["token_claims"]
assert c["x-ms-policy-signer"]["kty"] == "RSA" and len(c["x-ms-policy-signer"]["x5c"]) == 1, c' ||
    fail "x-ms-policy-signer"
# a draft policy: an unsigned token, same claims as eval of that text
printf 'version=1.0; authorizationrules { => permit(); }; issuancerules { => issue(type="draft", value=true); };' >draft.txt
agree "draft policy" draft.txt qj rt.json JSON it.json JSON draft.txt

# The freshness claims (docs/policy.md), in avowd's token and eval's claims
# alike: the supplemental object equal to the verification's (eval's
# verdict), real JSON integers and booleans, the SGX Type, the PCK flags
# absent for a Processor-CA platform. PREFIX TYPE-CLAIM
fresh_claims() {
    python3 - "$1" "$2" <<'PY' || fail "freshness claims ($1)"
import json, sys
p, type_claim = sys.argv[1], sys.argv[2]
ev = json.load(open("eval.json"))
for who, c in (("avowd", json.load(open("avowd_claims.json"))), ("eval", ev["token_claims"])):
    assert c[p + "supplemental"] == ev["verdict"]["supplemental"], who
    assert isinstance(c[p + "supplemental"], dict), who
    for n in ("tcb-eval-num", "tcb-level-age-days", "qe-tcb-level-age-days"):
        assert type(c[p + n]) is int, (who, n, c.get(p + n))
    assert c[p + "tcb-eval-num"] == ev["verdict"]["supplemental"]["tcb_eval_ref_num"], who
    assert c[p + "collateral-expired"] is False, who
    assert c[type_claim] == "Standard", (who, c.get(type_claim))
    for n in ("smt-enabled", "dynamic-platform", "cached-keys"):
        assert p + n not in c, (who, n)
print(f"ok: {p}* freshness claims in avowd's token and eval's claims")
PY
}
fresh_claims x-avow-sgx- x-avow-sgx-type

# refusals: the same reason on both sides
refused() { # NAME POLICY QUOTE-DIR RT RT-TYPE WANT
    local name=$1 pol=$2 q=$3 rt=$4 rtt=$5 want=$6
    request "$q" "$rt" "$rtt" - -
    http POST "$E/attest/$TYPE?api-version=2022-08-01" -H 'Content-Type: application/json' \
        --data-binary @req.json
    [[ $HTTP_STATUS == 400 ]] || fail "$name: avowd answered $HTTP_STATUS"
    # shellcheck disable=SC2046
    "$AVOW_BIN" policy eval "$pol" --quote "$q/quote.bin" --collateral "$COLL" "${EVAL_TYPE[@]}" \
        --root "$q/root.pem" --at "$AT" $(eval_args "$rt" "$rtt" - -) --json >eval.json && fail "$name: eval permitted"
    python3 - "$WORK/body" eval.json "$want" <<'PY' || fail "$name: reasons differ"
import json, sys
a = json.load(open(sys.argv[1]))["error"]
e = json.load(open(sys.argv[2]))
assert e["decision"] == "deny" and e["token_claims"] is None, e
assert a["message"] == e["reason"], (a["message"], e["reason"])
assert sys.argv[3] in a["message"], a["message"]
PY
    ok "$name: both refuse with: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reason"][:90])' eval.json)"
}
"$AVOW_BIN" policy sign deny.txt --unsigned >deny.jws
put_policy deny.jws
refused "policy deny" deny.txt qj rt.json JSON "attestation refused by the SgxEnclave policy"
refused "runtimeData mismatch" deny.txt qj rt.bin Binary "runtimeData does not match the quote"

# ---- TD quotes at /attest/TdxVm ----------------------------------------------------
# the TDX set of the same platform (same FMSPC and CA, TEE tdx), imported into
# the running avowd's store (issued before the avowd's --clock); eval takes
# the type from the quote, then --type
"$AVOW_BIN" sim quote --platform plat --now $((AT - 10)) --out tj --tee tdx --report-data "$(sha256sum rt.json | cut -d' ' -f1)$ZEROS" >/dev/null
"$AVOW_BIN" sim quote --platform plat --now $((AT - 10)) --out tb --tee tdx --version 5 --td15 \
    --report-data "$(sha256sum rt.bin | cut -d' ' -f1)$ZEROS" >/dev/null
"$AVOW_BIN" collateral import --data data --root tj/root.pem tj/collateral.json >/dev/null
TYPE=TdxVm COLL=tj/collateral.json
get_default
agree "TdxVm default policy, JSON runtime" default.jws tj rt.json JSON - -
python3 -c '
import json; c = json.load(open("eval.json"))["token_claims"]
assert c["x-ms-attestation-type"] == "tdxvm" and c["x-ms-runtime"]["pub"] == "abc", c
assert c["eat_profile"] == "https://aka.ms/maa-eat-profile-tdxvm" and c["attester_tcb_status"] == "UpToDate", c
assert isinstance(c["x-avow-tdx-advisory-ids"], list) and not any(k.startswith("x-ms-sgx") for k in c), c' ||
    fail "TdxVm token claims"
cat >tdx-issuing.txt <<'EOF'
version= 1.2;
authorizationrules {
    [type=="tdx_td_attributes_debug", value==false] && [type=="dbgstat", value=="disabled"] => permit();
};
issuancerules {
    c:[type=="tdx_mrtd"] => issue(type="measurement", value=c.value);
    c:[type=="x-avow-tdx-module-status"] => issue(type="module", value=c.value);
    => issue(type="tdx_mrtd", value="forged");
    => issue(type="stage", value="tdx");
};
EOF
"$AVOW_BIN" policy sign tdx-issuing.txt --unsigned --no-iat >tdx-issuing.jws
put_policy tdx-issuing.jws
agree "TdxVm issuing policy, JSON runtime (v4)" tdx-issuing.txt tj rt.json JSON - -
EVAL_TYPE=(--type TdxVm)
agree "TdxVm issuing policy, binary runtime (v5 TD 1.5, eval --type TdxVm)" tdx-issuing.txt tb rt.bin Binary - -
python3 -c '
import json; c = json.load(open("eval.json"))["token_claims"]
assert c["stage"] == "tdx" and c["measurement"] == c["tdx_mrtd"] and c["module"] == "UpToDate", c
assert c["tdx_mrtd"] != "forged" and "x-avow-tdx-mrservicetd" in c, c' || fail "TdxVm issued claims"
agree "TdxVm draft policy" draft.txt tj rt.json JSON - - draft.txt
fresh_claims x-avow-tdx- x-avow-tdx-sgx-type
cat >tdx-deny.txt <<'EOF'
version= 1.0;
authorizationrules {
    [type=="x-ms-attestation-type", value=="tdxvm"] => deny();
    => permit();
};
EOF
"$AVOW_BIN" policy sign tdx-deny.txt --unsigned >tdx-deny.jws
put_policy tdx-deny.jws
refused "TdxVm policy deny" tdx-deny.txt tj rt.json JSON "attestation refused by the TdxVm policy"
refused "TdxVm runtimeData mismatch" tdx-deny.txt tj rt.bin Binary "runtimeData does not match the quote"
echo "attest_agree: all checks passed"
