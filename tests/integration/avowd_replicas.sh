#!/usr/bin/env bash
# avowd replicas sharing one REAL PostgreSQL server (started here, removed on
# exit), each check measured and asserted:
#   1. three avowd started at the same instant on an empty database: all come
#      up, the schema is migrated once, one signing key; a policy-signer
#      certificate added through replica A is in force on B and C within 1 s
#      (isolated mode), and a policy signed with it is then accepted by B;
#   2. a policy PUT through A is in force on B and C within 1 s (GET
#      /policies returns it, attestation tokens carry its x-ms-policy-hash and
#      its issued claim);
#   3. `avow key rotate --data URI`: the new kid is first in /certs and signs
#      tokens on every replica within 10 s; an idle replica uses no CPU;
#   4. A killed with -9 right after an acknowledged PUT: B serves that policy,
#      and A restarted serves it in its very first answers;
#   5. PostgreSQL stopped under the running replicas: /health says degraded
#      (with the reason) on all three, attestations of the cached platform
#      keep working (and answer quickly) through the outage, a policy write
#      fails cleanly; PostgreSQL started again: /health back to ok without any
#      avowd restart, and a policy PUT is in force everywhere within 1 s.
source "$(dirname "$0")/avowd_lib/common.bash"
source "$(dirname "$0")/avowd_lib/postgres.bash"
extra_cleanup() { pg_cleanup; }
WATCH="$(dirname "$0")/avowd_lib/watch.py"
WATCH=$(cd "$(dirname "$WATCH")" && pwd)/watch.py
cd "$WORK"

pg_init
ADMIN=$(openssl rand -hex 20)
# replicas behind one name share the issuer (and so the signing key's subject)
common=(--admin-token "$ADMIN" --issuer https://attest.replicas.test --access-log off --audit-log off)

health_status() { # URL -> status field of /health ("" when no answer)
    { curl -s --max-time 5 "$1/health" || true; } | python3 -c 'import json,sys
try: print(json.load(sys.stdin)["status"])
except Exception: print("")'
}

# await_health STATUS T0 URL...: waits up to 15 s for each /health to say
# STATUS; sets ELAPSED to the seconds since T0 (date +%s.%N).
await_health() {
    local want=$1 t0=$2 e st
    shift 2
    for e in "$@"; do
        st=""
        for _ in $(seq 150); do st=$(health_status "$e"); [[ $st == "$want" ]] && break; sleep 0.1; done
        [[ $st == "$want" ]] || fail "$e/health says '$st', expected '$want'"
    done
    ELAPSED=$(python3 -c "import time; print(round(time.time() - $t0, 2))")
}

# ---- 1. three replicas at once on an empty database (isolated mode) -----------
openssl req -x509 -newkey rsa:2048 -nodes -keyout signer.key -out signer.pem -days 30 \
    -subj "/CN=avow replica signer" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout signer2.key -out signer2.pem -days 30 \
    -subj "/CN=avow replica signer 2" 2>/dev/null
URI0=$(pg_createdb avowempty)
IP=()
IE=()
for n in 1 2 3; do
    port=$(free_port)
    IP+=("$port")
    IE+=("http://127.0.0.1:$port")
done
for i in 0 1 2; do # no wait between the three
    "$AVOWD_BIN" --listen "127.0.0.1:${IP[$i]}" --data "$URI0" --policy-mode isolated \
        --policy-signer-cert signer.pem "${common[@]}" >"$WORK/iso$i.out" 2>"$WORK/iso$i.err" &
    AVOWD_PIDS+=($!)
    ISO_PIDS[$i]=$!
done
await_health ok "$(date +%s.%N)" "${IE[@]}"
LATEST=$(pg_psql avowempty "SELECT MAX(version) FROM avow_schema_migrations")
[[ $(pg_psql avowempty "SELECT COUNT(*), COUNT(DISTINCT version) FROM avow_schema_migrations") == "$LATEST|$LATEST" ]] ||
    fail "schema migrations: $(pg_psql avowempty 'SELECT * FROM avow_schema_migrations')"
[[ $LATEST -ge 3 ]] || fail "schema version $LATEST (expected 3 or more)"
[[ $(pg_psql avowempty "SELECT COUNT(*) FROM pg_trigger WHERE tgname = 'avow_notify'") == 7 ]] ||
    fail "notification triggers missing"
[[ $(pg_psql avowempty "SELECT COUNT(*), SUM(active) FROM signing_keys") == "1|1" ]] ||
    fail "signing keys after a simultaneous start: $(pg_psql avowempty 'SELECT kid, active FROM signing_keys')"
[[ $(cat "$WORK"/iso*.err | grep -c "created token signing key") == 1 ]] || fail "more than one replica created a key"
for i in 1 2; do
    cmp -s <(curl -s "${IE[0]}/certs") <(curl -s "${IE[$i]}/certs") || fail "replicas publish different /certs"
done
ok "three replicas started at once on an empty database: all up, schema v$LATEST applied once, one signing key"

# certificates:add through replica 0, in force on 1 and 2
python3 - signer.key signer.pem signer2.pem >add.jws <<'PY'
import base64, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
e = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
der = lambda p: "".join(l for l in open(p).read().splitlines() if l and not l.startswith("-----"))
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
head = e(json.dumps({"alg": "RS256", "x5c": [der(sys.argv[2])]}).encode())
body = e(json.dumps({"policyCertificate": {"kty": "RSA", "x5c": [der(sys.argv[3])]}}).encode())
sig = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
print(f"{head}.{body}.{e(sig)}")
PY
python3 "$WATCH" add-cert --writer "${IE[0]}" --admin "$ADMIN" --request add.jws --cert signer2.pem \
    --within 1 "${IE[1]}" "${IE[2]}" >cert.json || fail "policy-signer certificate not in force within 1 s: $(cat cert.json)"
ok "policy-signer certificate added through one replica listed by the others: $(cat cert.json)"
printf 'version=1.0; authorizationrules { => permit(); };' >iso.txt
"$AVOW_BIN" policy sign iso.txt --key signer2.key --cert signer2.pem >iso.jws
http PUT "${IE[1]}/policies/SgxEnclave" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: text/plain' --data-binary @iso.jws
[[ $HTTP_STATUS == 200 ]] || fail "policy signed by the new signer refused by another replica: $HTTP_STATUS $(head -c 300 "$WORK/body")"
ok "a policy signed by the new signer is accepted by another replica"
for i in 0 1 2; do stop_avowd "${ISO_PIDS[$i]}"; done

# ---- evidence and three replicas in token mode ----------------------------------
URI=$(pg_createdb avowrep)
"$AVOW_BIN" sim init plat >/dev/null
printf 'replica-runtime' >rt.bin
"$AVOW_BIN" sim quote --platform plat --out q --report-data "$(sha256sum rt.bin | cut -d' ' -f1)" >/dev/null
"$AVOW_BIN" collateral import --data "$URI" --root q/root.pem q/collateral.json >/dev/null
printf '{"quote":"%s","runtimeData":{"data":"%s","dataType":"Binary"}}' \
    "$(b64url_file q/quote.bin)" "$(b64url_file rt.bin)" >attest.json
replica=(--data "$URI" --trust-root q/root.pem "${common[@]}")
PA=$(free_port) PB=$(free_port) PC=$(free_port)
A="http://127.0.0.1:$PA" B="http://127.0.0.1:$PB" C="http://127.0.0.1:$PC"
start_avowd a "$PA" "${replica[@]}"
PID_A=$LAST_PID
start_avowd b "$PB" "${replica[@]}"
PID_B=$LAST_PID
start_avowd c "$PC" "${replica[@]}"
PID_C=$LAST_PID
for e in "$A" "$B" "$C"; do
    http POST "$e/attest/SgxEnclave" -H 'Content-Type: application/json' --data-binary @attest.json
    [[ $HTTP_STATUS == 200 ]] || fail "attest on $e: $HTTP_STATUS $(head -c 300 "$WORK/body")"
done
grep -q "notifications" "$WORK/a.err" || fail "replica a does not use change notifications"

policy() { # LABEL -> writes LABEL.jws, prints its x-ms-policy-hash
    printf 'version=1.0; authorizationrules { => permit(); }; issuancerules { => issue(type="policy", value="%s"); };' "$1" >"$1.txt"
    "$AVOW_BIN" policy sign "$1.txt" --unsigned >"$1.jws"
    "$AVOW_BIN" policy hash "$1.txt"
}

# ---- 2. a policy PUT through A, in force on B and C within 1 s -------------------
for label in P1 P2 P3; do
    h=$(policy "$label")
    python3 "$WATCH" put-policy --writer "$A" --admin "$ADMIN" --jws "$label.jws" --hash="$h" \
        --label "$label" --body attest.json --within 1 "$B" "$C" >"$label.delay" ||
        fail "policy $label: $(cat "$label.delay")"
    ok "policy $label PUT through A in force on B and C: $(cat "$label.delay")"
done

# ---- 3. avow key rotate: on every /certs within 10 s ------------------------------
KID=$("$AVOW_BIN" key rotate --data "$URI" | awk '{print $NF}')
T=$(date +%s.%N)
python3 "$WATCH" kid --kid="$KID" --since "$T" --body attest.json --within 10 "$A" "$B" "$C" >kid.delay ||
    fail "rotated key: $(cat kid.delay)"
ok "avow key rotate: kid $KID first in /certs and signing on A, B and C: $(cat kid.delay)"

# waiting for notifications costs no CPU: an idle replica sleeps in poll(2)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
t0=$(cpu_ticks "$PID_B")
sleep 3
used=$(( $(cpu_ticks "$PID_B") - t0 ))
(( used * 100 / $(getconf CLK_TCK) <= 5 )) || fail "an idle replica used $used clock ticks in 3 s"
ok "an idle replica used $used clock ticks (of $(getconf CLK_TCK)/s) in 3 s"

# ---- 4. kill -9 right after an acknowledged write ---------------------------------
h=$(policy K9)
python3 "$WATCH" put-policy --writer "$A" --admin "$ADMIN" --jws K9.jws --hash="$h" --label K9 \
    --kill "$PID_A" --body attest.json --within 1 "$B" >K9.delay || fail "policy K9: $(cat K9.delay)"
wait "$PID_A" 2>/dev/null || true
kill -0 "$PID_A" 2>/dev/null && fail "A still running after SIGKILL"
ok "A killed with -9 as its PUT was answered; B serves that policy: $(cat K9.delay)"
start_avowd a2 "$PA" "${replica[@]}"
PID_A=$LAST_PID
http GET "$A/policies/SgxEnclave" -H "Authorization: Bearer $ADMIN"
[[ $HTTP_STATUS == 200 ]] || fail "GET /policies on restarted A: $HTTP_STATUS"
python3 - "$WORK/body" K9.jws <<'PY' || fail "restarted A does not serve the last policy at once"
import base64, json, sys
d = lambda s: json.loads(base64.urlsafe_b64decode(s.split(".")[1] + "=" * (-len(s.split(".")[1]) % 4)))
tok = json.load(open(sys.argv[1]))["token"]
assert d(d(tok)["x-ms-policy"])["AttestationPolicy"] == d(open(sys.argv[2]).read().strip())["AttestationPolicy"]
PY
http POST "$A/attest/SgxEnclave" -H 'Content-Type: application/json' --data-binary @attest.json
[[ $HTTP_STATUS == 200 && $(json_get "$WORK/body" 'd["token"]' | { read -r t; jwt_part "$t" 1; } | json_get - 'd["policy"]') == K9 ]] ||
    fail "restarted A's first attestation is not under policy K9"
ok "A restarted serves the last acknowledged policy in its first answers"

# ---- 5. PostgreSQL stopped and started under the running replicas ---------------
T0=$(date +%s.%N)
pg_stop fast
await_health degraded "$T0" "$A" "$B" "$C"
ok "/health degraded on A, B and C $ELAPSED s after the database began to stop"
curl -s -o health.json -w '%{http_code}' "$B/health" >health.code
python3 - health.json "$(cat health.code)" <<'PY' || fail "degraded /health: $(cat health.json)"
import json, sys
h = json.load(open(sys.argv[1]))
assert sys.argv[2] == "200", sys.argv[2]
assert h["status"] == "degraded" and h["store"] == "postgresql", h
assert "database unreachable" in h["reason"], h
PY
grep -qx "avowd_store_up 0" <<<"$(curl -s "$B/metrics")" || fail "avowd_store_up is not 0 during the outage"
ok "degraded /health: 200, with the reason ($(json_get health.json 'd["reason"]' | head -c 120)...)"
# more than the in-memory collateral layer's 5 s re-check interval: its store
# re-check fails and the cached copy is kept
python3 - "$A" "$B" "$C" <<'PY' || fail "attestations during the outage"
import http.client, json, sys, time, urllib.parse
body = open("attest.json", "rb").read()
end, n, worst = time.time() + 7, 0, 0.0
while time.time() < end:
    for url in sys.argv[1:]:
        u = urllib.parse.urlsplit(url)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        t = time.time()
        c.request("POST", "/attest/SgxEnclave", body, {"Content-Type": "application/json"})
        r = c.getresponse(); data = r.read()
        worst = max(worst, time.time() - t)
        assert r.status == 200 and b'"token"' in data, (url, r.status, data[:300])
        n += 1
    time.sleep(0.2)
assert worst < 2.0, f"an attestation took {worst:.2f} s during the outage"
print(f"{n} attestations over 7 s, slowest {worst:.3f} s")
PY
ok "attestations of the cached platform keep working during the outage"
h=$(policy OUT)
http PUT "$A/policies/SgxEnclave" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: text/plain' --data-binary @OUT.jws
[[ $HTTP_STATUS -ge 500 ]] || fail "policy PUT with the database down: $HTTP_STATUS"
expect_error "$HTTP_STATUS" "postgresql" "policy PUT while the database is down"
T1=$(date +%s.%N)
pg_start
await_health ok "$T1" "$A" "$B" "$C"
ok "/health ok on A, B and C $ELAPSED s after the database began to start again"
grep -qx "avowd_store_up 1" <<<"$(curl -s "$B/metrics")" || fail "avowd_store_up is not 1 after the outage"
h=$(policy BACK)
python3 "$WATCH" put-policy --writer "$C" --admin "$ADMIN" --jws BACK.jws --hash="$h" --label BACK \
    --body attest.json --within 1 "$A" "$B" >BACK.delay || fail "policy after the outage: $(cat BACK.delay)"
ok "after the outage, a policy PUT through C is in force on A and B: $(cat BACK.delay)"
grep -q "store reachable again" "$WORK/b.err" || fail "no recovery message in b's log"
for pid in "$PID_A" "$PID_B" "$PID_C"; do stop_avowd "$pid"; done
ok "SIGTERM: the three replicas stop cleanly (their listeners with them)"
echo "avowd_replicas: all checks passed"
