#!/usr/bin/env bash
# Running avowd: the config file (same names as the flags), --issuer, the
# JSON-lines access and audit logs (no tokens, no admin token), clean exit on
# SIGTERM and SIGINT (a drain: every request sent before SIGTERM answered), `avow key rotate` on a running service, `avow attest`,
# and policy management over plain HTTP in "token" mode: 401 without or with
# a wrong admin token, set / get / deny / reset, each token naming the policy
# hash it was issued under, and policy swaps under concurrent attestations
# (every token is consistent with exactly one policy).
source "$(dirname "$0")/avowd_lib/common.bash"
cd "$WORK"

sim_evidence ops-runtime data
BODY="{\"quote\":\"$(b64url_file q/quote.bin)\",\"runtimeData\":{\"data\":\"$(b64url_file rt.bin)\",\"dataType\":\"Binary\"}}"
ADMIN=$(openssl rand -hex 20)
P=$(free_port)
ISS="https://attest.example.test"
cat >avowd.conf <<EOF
# avowd configuration: the flags' names without dashes
listen = 127.0.0.1:$P
data = $WORK/data
trust-root = $WORK/q/root.pem
issuer = $ISS/
admin-token = $ADMIN
access-log = $WORK/access.log
audit-log = $WORK/audit.log
max-body = 200000
EOF
"$AVOWD_BIN" --config avowd.conf >"$WORK/cfg.out" 2>"$WORK/cfg.err" &
PID=$!
AVOWD_PIDS+=("$PID")
for _ in $(seq 300); do curl -fs "http://127.0.0.1:$P/health" >/dev/null 2>&1 && break; sleep 0.1; done
E="http://127.0.0.1:$P"

# ---- config file, issuer -----------------------------------------------------
http POST "$E/attest/SgxEnclave" --data-binary "$BODY"
[[ $HTTP_STATUS == 200 ]] || fail "attest with --config: $HTTP_STATUS $(cat "$WORK/body")"
TOKEN=$(json_get "$WORK/body" 'd["token"]')
[[ $(jwt_part "$TOKEN" 1 | json_get - 'd["iss"]') == "$ISS" ]] || fail "iss is not the --issuer (without trailing slash)"
[[ $(jwt_part "$TOKEN" 0 | json_get - 'd["jku"]') == "$ISS/certs" ]] || fail "jku is not <issuer>/certs"
ok "config file honoured; --issuer sets iss and jku (trailing slash dropped)"
# An issuer URL longer than a certificate CN may be (64) still starts: the key
# gets the default name, and the log says what that means for clients.
LONG_ISS="https://attestation-service.region-one.example.test/tenants/contoso/v1"
PL=$(free_port)
start_avowd longiss "$PL" --data data-longiss --trust-root q/root.pem --issuer "$LONG_ISS"
http GET "http://127.0.0.1:$PL/.well-known/openid-configuration"
[[ $HTTP_STATUS == 200 && $(json_get "$WORK/body" 'd["issuer"]') == "$LONG_ISS" ]] ||
    fail "avowd with a ${#LONG_ISS}-character --issuer: $HTTP_STATUS $(cat "$WORK/body")"
grep -q "is longer than a CN may be (64 characters)" "$WORK/longiss.err" ||
    fail "no warning about the long issuer: $(cat "$WORK/longiss.err")"
stop_avowd "$LAST_PID"
ok "an issuer longer than 64 characters starts, with the default key name and a warning"
head -c 300000 /dev/zero | tr '\0' A >big.txt
http POST "$E/attest/SgxEnclave" --data-binary @big.txt
expect_error 413 "200000" "max-body from the config file"

# ---- avow attest ----------------------------------------------------------------
"$AVOW_BIN" attest --url "$E" q/quote.bin --runtime-data rt.bin >attest.json || fail "avow attest"
[[ $(json_get attest.json 'd["x-ms-sgx-ehd"]') == "$(b64url_file rt.bin)" ]] || fail "avow attest claims"
ok "avow attest verifies the token against /certs and prints the claims"
rc=0; "$AVOW_BIN" attest --url "$E" q/quote.bin --runtime-data avowd.conf 2>attest.err || rc=$?
[[ $rc == 1 ]] && grep -q "runtimeData does not match" attest.err || fail "avow attest: refusal not reported (rc $rc)"
ok "avow attest reports a refusal with the service's message (exit 1)"

# ---- policy management (token mode) -------------------------------------------
policy_jws() { # TEXT -> unsigned policy JWS (MAA StoredAttestationPolicy)
    python3 - "$1" <<'PY'
import base64, json, sys
e = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
print(e(b'{"alg":"none"}') + "." + e(json.dumps({"AttestationPolicy": e(sys.argv[1].encode())}).encode()) + ".")
PY
}
policy_hash() { python3 -c 'import base64,hashlib,sys; e=lambda b: base64.urlsafe_b64encode(b).decode().rstrip("="); print(e(hashlib.sha256(e(sys.argv[1].encode()).encode()).digest()))' "$1"; }
PA='version=1.0; authorizationrules { => permit(); }; issuancerules { => issue(type="policy", value="A"); };'
PB='version=1.0; authorizationrules { => permit(); }; issuancerules { => issue(type="policy", value="B"); };'
PDENY='version=1.0; authorizationrules { c:[type=="x-ms-sgx-is-debuggable", value==false] => deny(); => permit(); };'
HA=$(policy_hash "$PA"); HB=$(policy_hash "$PB")

http PUT "$E/policies/SgxEnclave?api-version=2020-10-01" -H 'Content-Type: text/plain' --data-binary "$(policy_jws "$PA")"
expect_error 401 "Authorization: Bearer" "policy PUT without a bearer token"
http PUT "$E/policies/SgxEnclave" -H "Authorization: Bearer nope" --data-binary "$(policy_jws "$PA")"
expect_error 401 "not valid" "policy PUT with a wrong bearer token"
http POST "$E/policies/SgxEnclave:reset" --data-binary 'eyJhbGciOiJub25lIn0..'
expect_error 401 "Bearer" "policy reset without a bearer token"
http PUT "$E/policies/SgxEnclave" -H "Authorization: Bearer $ADMIN" --data-binary "$(policy_jws 'version=1.0; authorizationrules { => permit( };')"
expect_error 400 "1:" "policy with a syntax error (line:column)"
http PUT "$E/policies/SgxEnclave" -H "Authorization: Bearer $ADMIN" --data-binary "$(policy_jws "$PDENY")"
[[ $HTTP_STATUS == 200 ]] || fail "policy PUT: $HTTP_STATUS $(cat "$WORK/body")"
R=$(json_get "$WORK/body" 'd["token"]')
[[ $(jwt_part "$R" 1 | json_get - 'd["x-ms-policy-result"]') == Updated ]] || fail "PolicyResult"
ok "policy set with the admin bearer token (x-ms-policy-result Updated)"
http POST "$E/attest/SgxEnclave" --data-binary "$BODY"
expect_error 400 "refused by the SgxEnclave policy" "attestation denied by the policy"
http GET "$E/policies/SgxEnclave"
POL=$(json_get "$WORK/body" 'd["token"]' | { read -r t; jwt_part "$t" 1; } | json_get - 'd["x-ms-policy"]')
[[ $(jwt_part "$POL" 1 | json_get - 'd["AttestationPolicy"]') == "$(python3 -c 'import base64,sys; print(base64.urlsafe_b64encode(sys.argv[1].encode()).decode().rstrip("="))' "$PDENY")" ]] ||
    fail "GET /policies does not return the stored policy"
ok "GET /policies returns the stored policy JWS"
http GET "$E/certificates"
[[ $(json_get "$WORK/body" 'd["token"]' | { read -r t; jwt_part "$t" 1; } | json_get - 'd["x-ms-policy-certificates"]["keys"]') == "[]" ]] ||
    fail "GET /certificates in token mode"
http POST "$E/certificates:add" -H "Authorization: Bearer $ADMIN" --data-binary '"x.y.z"'
expect_error 401 "no policy-signer certificates" "certificates:add without any signer"

# policy swaps under load: each token is consistent with the policy hash it names
http PUT "$E/policies/SgxEnclave" -H "Authorization: Bearer $ADMIN" --data-binary "$(policy_jws "$PA")"
[[ $HTTP_STATUS == 200 ]] || fail "set policy A"
printf '%s' "$BODY" >body.json
policy_jws "$PA" >pa.jws
policy_jws "$PB" >pb.jws
WORKERS=()
for w in 1 2 3 4; do
    (for i in $(seq 40); do
        curl -s -X POST "$E/attest/SgxEnclave" --data-binary @body.json -o "tok.$w.$i.json"
    done) &
    WORKERS+=($!)
done
for i in $(seq 10); do
    for pol in pb.jws pa.jws; do
        curl -s -o /dev/null -X PUT "$E/policies/SgxEnclave" -H "Authorization: Bearer $ADMIN" --data-binary @"$pol"
    done
done
wait "${WORKERS[@]}"
python3 - "$HA" "$HB" tok.*.json <<'PY' || fail "a token mixes two policies"
import base64, json, sys
ha, hb, files = sys.argv[1], sys.argv[2], sys.argv[3:]
seen = {"A": 0, "B": 0}
for f in files:
    t = json.load(open(f))["token"].split(".")[1]
    c = json.loads(base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)))
    want = {ha: "A", hb: "B"}[c["x-ms-policy-hash"]]
    assert c["policy"] == want, (f, c["policy"], c["x-ms-policy-hash"])
    seen[want] += 1
assert sum(seen.values()) == 160, seen
print("policy swaps under load:", seen)
PY
ok "160 attestations during 20 policy swaps: every token names the policy that issued it"
http POST "$E/policies/SgxEnclave:reset" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: text/plain' --data-binary 'eyJhbGciOiJub25lIn0..'
[[ $HTTP_STATUS == 200 ]] || fail "reset: $HTTP_STATUS $(cat "$WORK/body")"
[[ $(json_get "$WORK/body" 'd["token"]' | { read -r t; jwt_part "$t" 1; } | json_get - 'd["x-ms-policy-result"]') == Removed ]] || fail "reset result"
http POST "$E/attest/SgxEnclave" --data-binary "$BODY"
[[ $HTTP_STATUS == 200 ]] || fail "attest after reset"
[[ $(json_get "$WORK/body" 'd["token"]' | { read -r t; jwt_part "$t" 1; } | json_get - 'd["sgx-mrsigner"]') != null ]] || fail "default policy not back"
ok "reset restores the default policy"

# ---- key rotation on a running avowd --------------------------------------------
KID1=$(jwt_part "$TOKEN" 0 | json_get - 'd["kid"]')
"$AVOW_BIN" key rotate --data data >/dev/null || fail "avow key rotate" # keeps CN=<iss>
KID2=$KID1
for _ in $(seq 100); do
    http POST "$E/attest/SgxEnclave" --data-binary "$BODY"
    KID2=$(json_get "$WORK/body" 'd["token"]' | { read -r t; jwt_part "$t" 0; } | json_get - 'd["kid"]')
    [[ $KID2 != "$KID1" ]] && break
    sleep 0.2
done
[[ $KID2 != "$KID1" ]] || fail "tokens still signed by the old key after avow key rotate"
http GET "$E/certs"
python3 - "$WORK/body" "$KID1" "$KID2" <<'PY' || fail "/certs after rotation"
import json, sys
kids = [k["kid"] for k in json.load(open(sys.argv[1]))["keys"]]
assert kids[0] == sys.argv[3] and sys.argv[2] in kids, kids
PY
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["keys"][0]["x5c"][0])' "$WORK/body" |
    base64 -d | openssl x509 -inform DER -noout -subject -nameopt RFC2253 >subject.txt
[[ $(cat subject.txt) == "subject=CN=$ISS" ]] || fail "rotated key's certificate: $(cat subject.txt), expected CN=$ISS"
ok "avow key rotate: new tokens use the new kid; /certs publishes both; the subject stays CN=<iss>"

# ---- concurrency: many connections share the request threads -----------------
# 24 keep-alive clients at once (more than the request threads), every answer a
# 200 with a token; then SIGTERM (sent by the load client, which notes when)
# while they keep sending: avowd stops accepting, answers every request sent
# before the signal completely (200 with a token) with Connection: close, and
# exits cleanly. A request sent after the signal may find the connection
# closed or refused; none gets a broken or non-200 answer.
printf '%s' "$BODY" >"$WORK/body.json"
python3 - "$P" "$WORK/body.json" "$WORK/load.out" "$PID" <<'PY' &
import http.client, os, signal, sys, threading, time
port, body_path, out, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
body = open(body_path, "rb").read()
phase1, phase2, lock = [], [], threading.Lock()
start2 = threading.Event()
t_kill = [None]
def client():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(15):
        c.request("POST", "/attest/SgxEnclave", body, {"Content-Type": "application/json"})
        r = c.getresponse(); data = r.read()
        with lock: phase1.append((r.status, b'"token"' in data))
    start2.wait()
    while True:  # until the server goes away
        try:
            c.request("POST", "/attest/SgxEnclave", body, {"Content-Type": "application/json"})
        except Exception:
            return  # connection refused: sent nothing
        sent = time.monotonic()
        try:
            r = c.getresponse(); data = r.read()
            ok = r.status == 200 and b'"token"' in data and len(data) == int(r.getheader("Content-Length"))
            with lock: phase2.append((sent, ok, r.status))
        except Exception as e:
            with lock: phase2.append((sent, False, repr(e)))
            return
ts = [threading.Thread(target=client) for _ in range(24)]
for t in ts: t.start()
deadline = time.monotonic() + 60
while len(phase1) < 24 * 15 and time.monotonic() < deadline: time.sleep(0.05)
start2.set()
time.sleep(0.5)
t_kill[0] = time.monotonic()
os.kill(pid, signal.SIGTERM)
for t in ts: t.join()
before = [p for p in phase2 if p[0] < t_kill[0]]
after = [p for p in phase2 if p[0] >= t_kill[0]]
with open(out, "w") as f:
    f.write(f"{len(phase1)} {sum(1 for s, t in phase1 if s == 200 and t)} {len(before)} "
            f"{sum(1 for p in before if not p[1])} {len(after)} "
            f"{sum(1 for p in after if p[2] != 200 and isinstance(p[2], int))}\n")
    for p in before:
        if not p[1]: f.write(f"sent before SIGTERM, not answered: {p[2]}\n")
PY
LOADER=$!
wait "$LOADER" || fail "load client crashed"
rc=0; wait "$PID" || rc=$?
read -r n1 good1 nb badb na bada <"$WORK/load.out"
[[ $n1 == 360 && $good1 == 360 ]] || fail "concurrent attestations: $good1 of $n1 answered 200 with a token"
[[ $nb -gt 0 && $badb == 0 ]] || fail "requests sent before SIGTERM: $badb of $nb without a complete 200 answer: $(tail -n +2 "$WORK/load.out" | head -5)"
[[ $bada == 0 ]] || fail "requests sent after SIGTERM: $bada answered with an error status"
ok "24 concurrent clients: 360 of 360 tokens; SIGTERM under load: all $nb requests sent before it answered 200 in full ($na more after it)"

# ---- logs --------------------------------------------------------------------
[[ $rc == 0 ]] || fail "SIGTERM exit status $rc"
grep -q '"shutting down"\|shutting down' cfg.err || fail "no shutdown message"
ok "SIGTERM: clean exit (status 0)"
python3 - access.log audit.log "$ADMIN" "$TOKEN" <<'PY' || fail "logs"
import json, sys
acc, aud, admin, token = sys.argv[1:]
for path in (acc, aud):
    text = open(path).read()
    assert admin not in text, f"admin token in {path}"
    assert token.split(".")[2] not in text and token.split(".")[1] not in text, f"token in {path}"
    for line in text.splitlines():
        json.loads(line)
a = [json.loads(l) for l in open(acc)]
assert all({"ts","method","path","status","duration_ms","request_id"} <= set(x) for x in a)
assert any(x["status"] == 413 for x in a) and any(x["status"] == 401 for x in a)
u = [json.loads(l) for l in open(aud)]
att = [x for x in u if x["event"] == "attestation"]
assert any(x["verdict"] == "permit" and x["tcb_status"] == "UpToDate" for x in att)
assert any(x["verdict"] == "deny" for x in att)
assert any(x["event"] == "policy_management" and x["operation"] == "set" for x in u)
print(len(a), "access records,", len(u), "audit records")
PY
ok "access and audit logs: JSON lines, no admin token, no tokens"

P2=$(free_port)
start_avowd sigint "$P2" --data data --trust-root q/root.pem
kill -INT "$LAST_PID"; rc=0; wait "$LAST_PID" || rc=$?
[[ $rc == 0 ]] || fail "SIGINT exit status $rc"
ok "SIGINT: clean exit (status 0)"
echo "avowd_ops: all checks passed"
