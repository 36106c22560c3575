#!/usr/bin/env bash
# Policy and certificate management against replays and forgeries, end to end
# against a real avowd (docs/security.md "Policy management" names the test of
# each attack):
#  (a) isolated mode: every route needs the admin bearer token, and every
#      write also a signature by a current policy signer (unsigned, signed by
#      a non-signer, or signed with a wrong / missing bearer: 401);
#  (b) the GET-JWS-to-reset replay: the stored policy JWS (or any policy JWS,
#      even freshly signed by a signer) posted to :reset is refused (400), and
#      the custom policy stays in force (a debug enclave still gets no token);
#      MAA's reset forms (JS/.NET: x5c; Python: jwk.x5c, RSA256) are accepted;
#  (c) rollback: a policy signed before the newest accepted one is refused
#      (409, naming both times), also after a reset in between and after an
#      avowd restart; a far-future iat is refused; MAA's form (no iat) is
#      accepted and audited as unprotected;
#  (d) certificate requests: Avow's form (`avow policy sign-cert-request`) is
#      refused at the other route (400) and when older than the last change
#      (409); MAA's form cannot be told apart and is taken at either route;
#  (e) token mode: missing or wrong bearer on each route, unsigned writes
#      with the bearer work, certificate changes have no signer to authorise;
#  (f) an isolated store without --admin-token says at startup and in each
#      refusal that management is disabled;
#  (g) the audit log: one record per refusal (who/what/why), no secret.
source "$(dirname "$0")/avowd_lib/common.bash"
cd "$WORK"

NOW=$(date +%s)
"$AVOW_BIN" sim init plat >/dev/null
"$AVOW_BIN" sim quote --platform plat --out qd --debug >/dev/null
"$AVOW_BIN" collateral import --data data --root qd/root.pem qd/collateral.json >/dev/null
ATTEST_BODY="{\"quote\":\"$(b64url_file qd/quote.bin)\"}"
for n in signer signer2 outsider; do
    openssl req -x509 -newkey rsa:2048 -nodes -keyout $n.key -out $n.pem -days 30 -subj "/CN=avow test $n" 2>/dev/null
done
thumb() { openssl x509 -in "$1" -outform DER | sha1sum | cut -d' ' -f1; }
ADMIN=$(openssl rand -hex 24)
P=$(free_port)
start_avowd iso "$P" --data data --trust-root qd/root.pem --policy-signer-cert signer.pem \
    --admin-token "$ADMIN" --audit-log "$WORK/audit.log"
E="http://127.0.0.1:$P"
AUTH=(-H "Authorization: Bearer $ADMIN")
WRONG=(-H "Authorization: Bearer wrong-$ADMIN")

# jws HEADER_JSON PAYLOAD [KEY]: a compact JWS, RS256 (PKCS#1 v1.5, SHA-256)
# with openssl when KEY is given, else unsigned.
jws() {
    python3 - "$@" <<'PY'
import base64, subprocess, sys
e = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
h, p = sys.argv[1], sys.argv[2]
si = e(h.encode()) + "." + e(p.encode())
sig = ""
if len(sys.argv) > 3:
    sig = e(subprocess.run(["openssl", "dgst", "-sha256", "-sign", sys.argv[3]], input=si.encode(),
                           capture_output=True, check=True).stdout)
print(si + "." + sig)
PY
}
x5c() { openssl x509 -in "$1" -outform DER | base64 -w0; }
HDR_JS="{\"alg\":\"RS256\",\"x5c\":[\"$(x5c signer.pem)\"]}"            # JS and .NET clients
HDR_PY="{\"alg\":\"RSA256\",\"jwk\":{\"x5c\":[\"$(x5c signer.pem)\"]}}" # Python SDK 1.x
HDR_OUT="{\"alg\":\"RS256\",\"x5c\":[\"$(x5c outsider.pem)\"]}"
maa_policy() { python3 -c 'import base64,json,sys; print(json.dumps({"AttestationPolicy": base64.urlsafe_b64encode(open(sys.argv[1],"rb").read()).decode().rstrip("=")}))' "$1"; }
maa_cert_body() { printf '{"policyCertificate":{"kty":"RSA","x5c":["%s"]}}' "$(x5c "$1")"; }
attest() { http POST "$E/attest/SgxEnclave" --data-binary "$ATTEST_BODY"; }
result() { json_get "$WORK/body" 'd["token"]' | { read -r t; jwt_part "$t" 1; } | json_get - "d[\"$1\"]"; }

printf 'version=1.0; authorizationrules { [type=="x-ms-sgx-is-debuggable", value==true] => deny(); => permit(); }; issuancerules { => issue(type="policy", value="old"); };' >old.txt
printf 'version=1.0; authorizationrules { [type=="x-ms-sgx-is-debuggable", value==true] => deny(); => permit(); }; issuancerules { => issue(type="policy", value="new"); };' >new.txt
sign() { "$AVOW_BIN" policy sign "$1" --key "${3:-signer.key}" --cert "${4:-signer.pem}" --iat "$2"; }
T_OLD=$((NOW - 200)); T_NEW=$((NOW - 100))
sign old.txt $T_OLD >old.jws
sign new.txt $T_NEW >new.jws
[[ $(jwt_part "$(cat old.jws)" 1 | json_get - 'd["iat"]') == "$T_OLD" ]] || fail "avow policy sign --iat does not write iat"

# ---- (a) isolated mode: bearer and signature --------------------------------
attest
[[ $HTTP_STATUS == 200 ]] || fail "default policy: the debug enclave should get a token ($HTTP_STATUS)"
ok "(a) the default policy gives the debug enclave a token (what a forced reset would bring back)"
for route in "GET /policies/SgxEnclave" "GET /certificates"; do
    read -r m path <<<"$route"
    http "$m" "$E$path"
    expect_error 401 "Authorization: Bearer" "(a) $route without the bearer"
    http "$m" "$E$path" "${WRONG[@]}"
    expect_error 401 "not valid" "(a) $route with a wrong bearer"
done
http PUT "$E/policies/SgxEnclave" --data-binary @old.jws
expect_error 401 "Authorization: Bearer" "(a) signed policy without the bearer"
http PUT "$E/policies/SgxEnclave" "${WRONG[@]}" --data-binary @old.jws
expect_error 401 "not valid" "(a) signed policy with a wrong bearer"
"$AVOW_BIN" policy sign old.txt --unsigned --iat $T_OLD >unsigned.jws
http PUT "$E/policies/SgxEnclave" "${AUTH[@]}" --data-binary @unsigned.jws
expect_error 401 "unsigned" "(a) unsigned policy with the bearer"
sign old.txt $T_OLD outsider.key outsider.pem >outsider.jws
http PUT "$E/policies/SgxEnclave" "${AUTH[@]}" --data-binary @outsider.jws
expect_error 401 "$(thumb outsider.pem), which is not one of the 1 current policy signers" "(a) policy signed by a non-signer"
http PUT "$E/policies/SgxEnclave" "${AUTH[@]}" --data-binary @old.jws
[[ $HTTP_STATUS == 200 && $(result x-ms-policy-result) == Updated ]] || fail "(a) signed policy with the bearer: $HTTP_STATUS $(cat "$WORK/body")"
attest
expect_error 400 "refused by the SgxEnclave policy" "(a) the signed policy is in force: debug enclave refused"

# ---- (b) the GET-JWS-to-reset replay ------------------------------------------
http GET "$E/policies/SgxEnclave" "${AUTH[@]}"
STORED=$(result x-ms-policy)
[[ $STORED == "$(cat old.jws)" ]] || fail "(b) GET does not return the stored JWS"
http POST "$E/policies/SgxEnclave:reset" --data-binary "$STORED"
expect_error 401 "Authorization: Bearer" "(b) the stored policy JWS replayed at :reset without a bearer"
http POST "$E/policies/SgxEnclave:reset" "${AUTH[@]}" --data-binary "\"$STORED\""
expect_error 400 "a policy JWS is never taken as a reset" "(b) the stored policy JWS at :reset, even with the bearer"
sign new.txt "$NOW" >fresh.jws
http POST "$E/policies/SgxEnclave:reset" "${AUTH[@]}" --data-binary @fresh.jws
expect_error 400 "AttestationPolicy" "(b) a policy JWS freshly signed by a signer at :reset"
jws "$HDR_JS" "$(maa_cert_body signer2.pem)" signer.key >certreq.jws
http POST "$E/policies/SgxEnclave:reset" "${AUTH[@]}" --data-binary @certreq.jws
expect_error 400 "policyCertificate" "(b) a signed certificate request at :reset"
http POST "$E/policies/SgxEnclave:reset" "${AUTH[@]}" --data-binary 'eyJhbGciOiJub25lIn0..'
expect_error 401 "unsigned" "(b) an unsigned reset in isolated mode"
jws "$HDR_JS" "" signer.key >reset_js.jws
http POST "$E/policies/SgxEnclave:reset" --data-binary @reset_js.jws
expect_error 401 "Authorization: Bearer" "(b) a signed reset without the bearer"
http POST "$E/policies/SgxEnclave:reset" "${WRONG[@]}" --data-binary @reset_js.jws
expect_error 401 "not valid" "(b) a signed reset with a wrong bearer"
jws "$HDR_OUT" "" outsider.key >reset_out.jws
http POST "$E/policies/SgxEnclave:reset" "${AUTH[@]}" --data-binary @reset_out.jws
expect_error 401 "not one of the 1 current policy signers" "(b) a reset signed by a non-signer"
attest
expect_error 400 "refused by the SgxEnclave policy" "(b) after every refused reset the custom policy is still in force"
http POST "$E/policies/SgxEnclave:reset" "${AUTH[@]}" --data-binary @reset_js.jws
[[ $HTTP_STATUS == 200 && $(result x-ms-policy-result) == Removed ]] || fail "(b) JS/.NET-form reset: $HTTP_STATUS $(cat "$WORK/body")"
ok "(b) reset as the JS and .NET clients send it (RS256, x5c, empty payload) + bearer: accepted"
jws "$HDR_PY" "" signer.key >reset_py.jws
http POST "$E/policies/SgxEnclave:reset" "${AUTH[@]}" --data-binary "\"$(cat reset_py.jws)\""
[[ $HTTP_STATUS == 200 ]] || fail "(b) Python-form reset: $HTTP_STATUS $(cat "$WORK/body")"
ok "(b) reset as the Python SDK sends it (RSA256, jwk.x5c, empty payload) + bearer: accepted"

# ---- (c) rollback -------------------------------------------------------------
http PUT "$E/policies/SgxEnclave" "${AUTH[@]}" --data-binary @new.jws
[[ $HTTP_STATUS == 200 ]] || fail "(c) newer policy: $HTTP_STATUS $(cat "$WORK/body")"
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
http PUT "$E/policies/SgxEnclave" "${AUTH[@]}" --data-binary @old.jws
expect_error 409 "signed at $(iso $T_OLD) (iat $T_OLD), before the newest SgxEnclave policy this service accepted (signed at $(iso $T_NEW))" "(c) older policy PUT after a newer one"
jws "$HDR_JS" "" signer.key >reset.jws
http POST "$E/policies/SgxEnclave:reset" "${AUTH[@]}" --data-binary @reset.jws
[[ $HTTP_STATUS == 200 ]] || fail "(c) reset: $HTTP_STATUS"
http PUT "$E/policies/SgxEnclave" "${AUTH[@]}" --data-binary @old.jws
expect_error 409 "signed at $(iso $T_NEW)" "(c) older policy PUT after a newer one and a reset in between"
stop_avowd "$LAST_PID"
start_avowd iso2 "$P" --data data --trust-root qd/root.pem --admin-token "$ADMIN" --audit-log "$WORK/audit.log"
http PUT "$E/policies/SgxEnclave" "${AUTH[@]}" --data-binary @old.jws
expect_error 409 "signed at $(iso $T_NEW)" "(c) older policy PUT after an avowd restart"
http PUT "$E/policies/SgxEnclave" "${AUTH[@]}" --data-binary @new.jws
[[ $HTTP_STATUS == 200 ]] || fail "(c) the newest policy again (iat == mark): $HTTP_STATUS $(cat "$WORK/body")"
ok "(c) re-PUT of the newest policy (iat equal to the mark) is accepted"
sign new.txt $((NOW + 3600)) >future.jws
http PUT "$E/policies/SgxEnclave" "${AUTH[@]}" --data-binary @future.jws
expect_error 400 "ahead of this service's clock" "(c) a policy with a far-future iat (would block every honest signer)"
jws "$HDR_JS" "$(maa_policy old.txt)" signer.key >maa_old.jws
http PUT "$E/policies/SgxEnclave" "${AUTH[@]}" --data-binary @maa_old.jws
[[ $HTTP_STATUS == 200 ]] || fail "(c) MAA-form policy (no iat): $HTTP_STATUS $(cat "$WORK/body")"
tail -n 1 audit.log | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); assert d["outcome"]=="ok" and d["protection"].startswith("not applied: the request has no iat"), d' ||
    fail "(c) no-iat policy not audited as unprotected"
ok "(c) MAA's form (no iat) is accepted and the audit record says rollback protection did not apply"
http GET "$E/policies/SgxEnclave" "${AUTH[@]}"
[[ $(result x-ms-policy) == "$(cat maa_old.jws)" ]] || fail "(c) MAA-form policy not in force"

# ---- (d) certificate requests ---------------------------------------------------
creq() { "$AVOW_BIN" policy sign-cert-request "$1" "$2" --key "${4:-signer.key}" --cert "${5:-signer.pem}" --iat "$3"; }
creq add signer2.pem $((NOW - 50)) >add.jws
creq remove signer2.pem $((NOW - 40)) >remove.jws
[[ $(jwt_part "$(cat remove.jws)" 1 | json_get - 'd["x-avow-operation"]') == remove ]] || fail "(d) sign-cert-request payload"
http POST "$E/certificates:add" "${WRONG[@]}" --data-binary @add.jws
expect_error 401 "not valid" "(d) certificates:add with a wrong bearer"
http POST "$E/certificates:remove" --data-binary @remove.jws
expect_error 401 "Authorization: Bearer" "(d) certificates:remove without the bearer"
http POST "$E/certificates:add" "${AUTH[@]}" --data-binary "$(jws '{"alg":"none"}' "$(maa_cert_body signer2.pem)")"
expect_error 401 "unsigned" "(d) an unsigned certificate request"
creq add signer2.pem $((NOW - 50)) outsider.key outsider.pem >add_out.jws
http POST "$E/certificates:add" "${AUTH[@]}" --data-binary @add_out.jws
expect_error 401 "not one of the 1 current policy signers" "(d) a certificate request signed by a non-signer"
http POST "$E/certificates:add" "${AUTH[@]}" --data-binary @add.jws
[[ $HTTP_STATUS == 200 && $(result x-ms-policycertificates-result) == IsPresent ]] || fail "(d) Avow-form add: $HTTP_STATUS $(cat "$WORK/body")"
http POST "$E/certificates:add" "${AUTH[@]}" --data-binary @remove.jws
expect_error 400 "signed for certificates:remove, not certificates:add" "(d) an Avow-form :remove replayed at :add"
http POST "$E/certificates:remove" "${AUTH[@]}" --data-binary @remove.jws
[[ $HTTP_STATUS == 200 && $(result x-ms-policycertificates-result) == IsAbsent ]] || fail "(d) Avow-form remove: $HTTP_STATUS $(cat "$WORK/body")"
http POST "$E/certificates:add" "${AUTH[@]}" --data-binary @add.jws
expect_error 409 "before the newest certificate change this service accepted" "(d) the older Avow-form :add replayed after the :remove"
http GET "$E/certificates" "${AUTH[@]}"
[[ $(result x-ms-policy-certificates | json_get - 'len(d["keys"])') == 1 ]] || fail "(d) signer2 came back"
ok "(d) after the refused replays signer2 is still absent"
jws "$HDR_JS" "$(maa_cert_body signer2.pem)" signer.key >maa_cert.jws
http POST "$E/certificates:add" "${AUTH[@]}" --data-binary "\"$(cat maa_cert.jws)\""
[[ $HTTP_STATUS == 200 && $(result x-ms-policycertificates-result) == IsPresent ]] || fail "(d) MAA-form add: $HTTP_STATUS"
http POST "$E/certificates:remove" "${AUTH[@]}" --data-binary "\"$(cat maa_cert.jws)\""
[[ $HTTP_STATUS == 200 && $(result x-ms-policycertificates-result) == IsAbsent ]] ||
    fail "(d) MAA-form :add body at :remove: $HTTP_STATUS"
http POST "$E/certificates:add" "${AUTH[@]}" --data-binary "\"$(cat maa_cert.jws)\""
[[ $HTTP_STATUS == 200 ]] || fail "(d) MAA-form replay at :add: $HTTP_STATUS"
tail -n 1 audit.log | grep -q "taken at :add and :remove alike" || fail "(d) MAA-form change not audited as unprotected"
ok "(d) MAA's form (same payload for :add and :remove, no iat) cannot be told apart: taken at either route, audited as such"

# ---- (e) token mode ---------------------------------------------------------------
PT=$(free_port)
start_avowd tok "$PT" --data data-t --trust-root qd/root.pem --admin-token "$ADMIN" --audit-log "$WORK/audit-t.log"
ET="http://127.0.0.1:$PT"
"$AVOW_BIN" policy sign new.txt --unsigned --iat $T_NEW >t_new.jws
"$AVOW_BIN" policy sign old.txt --unsigned --iat $T_OLD >t_old.jws
for route in "GET /policies/SgxEnclave" "PUT /policies/SgxEnclave" "POST /policies/SgxEnclave:reset" \
    "GET /certificates" "POST /certificates:add" "POST /certificates:remove"; do
    read -r m path <<<"$route"
    http "$m" "$ET$path" --data-binary @t_new.jws
    expect_error 401 "Authorization: Bearer" "(e) token mode: $route without the bearer"
    http "$m" "$ET$path" "${WRONG[@]}" --data-binary @t_new.jws
    expect_error 401 "not valid" "(e) token mode: $route with a wrong bearer"
done
http PUT "$ET/policies/SgxEnclave" "${AUTH[@]}" --data-binary @t_new.jws
[[ $HTTP_STATUS == 200 ]] || fail "(e) token mode, unsigned policy with the bearer: $HTTP_STATUS"
http PUT "$ET/policies/SgxEnclave" "${AUTH[@]}" --data-binary @t_old.jws
expect_error 409 "before the newest SgxEnclave policy" "(e) token mode: an older iat after a newer one"
http POST "$ET/policies/SgxEnclave:reset" "${AUTH[@]}" --data-binary @t_new.jws
expect_error 400 "a policy JWS is never taken as a reset" "(e) token mode: a policy JWS at :reset"
http POST "$ET/certificates:add" "${AUTH[@]}" --data-binary @add.jws
expect_error 401 "no policy-signer certificates" "(e) token mode: no signer can authorise a certificate change"
http POST "$ET/policies/SgxEnclave:reset" "${AUTH[@]}" --data-binary 'eyJhbGciOiJub25lIn0..'
[[ $HTTP_STATUS == 200 ]] || fail "(e) token mode: unsigned reset with the bearer: $HTTP_STATUS"
ok "(e) token mode: unsigned reset (as MAA's clients send it) with the bearer"

# ---- (f) isolated without --admin-token -------------------------------------------
PN=$(free_port)
start_avowd noadmin "$PN" --data data-n --trust-root qd/root.pem --policy-signer-cert signer.pem --audit-log off
grep -q 'isolated\\" without --admin-token: policy and certificate management is disabled' noadmin.err ||
    fail "(f) no startup warning: $(cat noadmin.err)"
ok "(f) startup says management is disabled without --admin-token"
http PUT "http://127.0.0.1:$PN/policies/SgxEnclave" "${AUTH[@]}" --data-binary @new.jws
expect_error 401 "management is disabled: this avowd has no --admin-token" "(f) a signed policy on an isolated avowd without --admin-token"

# ---- (g) the audit log --------------------------------------------------------------
python3 - audit.log audit-t.log "$ADMIN" "$(thumb outsider.pem)" "$(cat old.jws)" "$T_OLD" <<'PY' || fail "(g) audit log"
import json, sys
iso, tok, admin, outsider, old_jws, t_old = sys.argv[1:]
recs = [json.loads(l) for p in (iso, tok) for l in open(p) if l.strip()]
text = open(iso).read() + open(tok).read()
assert admin not in text, "the admin token is in the audit log"
assert old_jws.split(".")[1] not in text and old_jws.split(".")[2] not in text, "a JWS is in the audit log"
ref = [r for r in recs if r["event"] == "policy_management" and r["outcome"] == "refused"]
for r in ref:
    assert {"ts", "request_id", "operation", "status", "bearer", "reason"} <= set(r), r
def has(desc, reason=None, **kw):
    if not any(all(r.get(k) == v for k, v in kw.items()) and (reason is None or reason in r["reason"])
               for r in ref):
        sys.exit(f"no refusal record for {desc} ({kw}, reason {reason!r})")
has("a GET without the bearer", operation="get", bearer="missing", status=401)
has("a wrong bearer", operation="set", bearer="invalid", status=401)
has("a non-signer", outsider, operation="set", bearer="valid", status=401)
has("a policy JWS at :reset", "a policy JWS is never taken as a reset", operation="reset", status=400)
has("an older policy", operation="set", status=409, iat=int(t_old))
has("a :remove at :add", "signed for certificates:remove", operation="certificate-add", status=400)
has("an older certificate request", operation="certificate-add", status=409)
has("a certificates GET without the bearer", operation="certificates-get", bearer="missing", status=401)
print(f"{len(ref)} refusals audited")
PY
ok "(g) every refusal is an audit record (who: bearer, signer, request id; what; why), no secret"
echo "avowd_policy_replay: all checks passed"
