# Shared helpers of the avowd integration tests (sourced, not a test itself):
# a scratch folder, free ports, starting avowd and waiting for /health,
# stopping every avowd started here on exit (even on failure; then the
# script's extra_cleanup function, when it defines one), assertions.
# Every daemon listens on 127.0.0.1 only.
set -euo pipefail

: "${AVOW_BIN:?AVOW_BIN is not set (run through ctest)}"
: "${AVOWD_BIN:?AVOWD_BIN is not set (run through ctest)}"
: "${AVOW_VECTORS:?AVOW_VECTORS is not set}"
: "${AVOW_SOURCE:?AVOW_SOURCE is not set}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/avowd-test.XXXXXX")
AVOWD_PIDS=()
FAILS=0

cleanup() {
    local rc=$?
    for pid in "${AVOWD_PIDS[@]+"${AVOWD_PIDS[@]}"}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${AVOWD_PIDS[@]+"${AVOWD_PIDS[@]}"}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    if declare -F extra_cleanup >/dev/null; then extra_cleanup; fi
    if [[ $rc -ne 0 || ${KEEP_WORK:-0} == 1 ]]; then
        echo "--- scratch folder: $WORK (logs below)" >&2
        for f in "$WORK"/*.err; do [[ -f $f ]] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }; done
    fi
    [[ ${KEEP_WORK:-0} == 1 ]] || rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

source "$(dirname "${BASH_SOURCE[0]}")/ports.bash" # free_port

# start_avowd NAME PORT ARGS... : starts avowd on 127.0.0.1:PORT, logs to
# $WORK/NAME.err, waits up to 30 s for /health. Sets LAST_PID.
start_avowd() {
    local name=$1 port=$2; shift 2
    "$AVOWD_BIN" --listen "127.0.0.1:$port" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    LAST_PID=$!
    AVOWD_PIDS+=("$LAST_PID")
    local scheme=http
    for a in "$@"; do [[ $a == --tls-cert ]] && scheme=https; done
    for _ in $(seq 300); do
        if curl -fsk "$scheme://127.0.0.1:$port/health" >/dev/null 2>&1; then return 0; fi
        kill -0 "$LAST_PID" 2>/dev/null || { cat "$WORK/$name.err" >&2; fail "avowd $name exited during startup"; }
        sleep 0.1
    done
    fail "avowd $name did not answer /health on port $port"
}

# stop_avowd PID: SIGTERM and wait (asserts a clean exit status 0).
stop_avowd() {
    local pid=$1
    kill -TERM "$pid"
    local rc=0
    wait "$pid" || rc=$?
    [[ $rc -eq 0 ]] || fail "avowd (pid $pid) exited with status $rc after SIGTERM"
}

# sim_evidence RUNTIME DATA: a simulated platform "plat", its quote in q/ bound
# to the bytes RUNTIME (written to rt.bin: REPORTDATA = SHA-256 of them), and
# its collateral imported into the store DATA (trusting q/root.pem).
sim_evidence() {
    "$AVOW_BIN" sim init plat >/dev/null
    printf '%s' "$1" >rt.bin
    "$AVOW_BIN" sim quote --platform plat --out q --report-data "$(sha256sum rt.bin | cut -d' ' -f1)" >/dev/null
    "$AVOW_BIN" collateral import --data "$2" --root q/root.pem q/collateral.json >/dev/null
}

b64url_file() { python3 -c 'import base64,sys; print(base64.urlsafe_b64encode(open(sys.argv[1],"rb").read()).decode().rstrip("="))' "$1"; }
b64url_str() { python3 -c 'import base64,sys; print(base64.urlsafe_b64encode(sys.argv[1].encode()).decode().rstrip("="))' "$1"; }

# jwt_claims TOKEN: prints the decoded payload JSON.
jwt_part() { python3 -c 'import base64,sys; p=sys.argv[1].split(".")[int(sys.argv[2])]; print(base64.urlsafe_b64decode(p+"="*(-len(p)%4)).decode())' "$1" "$2"; }

# jwt_verify_certs TOKEN CERTS-JSON-FILE: the token's RS256 signature over
# header.payload checked with openssl against the /certs key its kid names;
# leaves tok.cert.pem, tok.header.json and tok.claims.json in the current
# folder. Fails the test on any mismatch.
jwt_verify_certs() {
    python3 - "$1" "$2" <<'PY' || fail "token header or kid does not match /certs"
import base64, json, sys
tok, certs = sys.argv[1], json.load(open(sys.argv[2]))
h, p, s = tok.split(".")
d = lambda x: base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
hdr = json.loads(d(h))
assert hdr["alg"] == "RS256" and hdr["typ"] == "JWT", hdr
key = [k for k in certs["keys"] if k["kid"] == hdr["kid"]]
assert len(key) == 1, "kid not in /certs"
der = base64.b64decode(key[0]["x5c"][0])
pem = "-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der).decode() + "-----END CERTIFICATE-----\n"
open("tok.cert.pem", "w").write(pem)
open("tok.input", "wb").write((h + "." + p).encode())
open("tok.sig", "wb").write(d(s))
open("tok.claims.json", "wb").write(d(p))
open("tok.header.json", "wb").write(d(h))
PY
    openssl x509 -in tok.cert.pem -pubkey -noout >tok.pub
    openssl dgst -sha256 -verify tok.pub -signature tok.sig tok.input >/dev/null ||
        fail "token signature does not verify with the /certs certificate"
}

# jq-like lookups with python: json_get FILE|- EXPR (python expression on `d`)
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]) if sys.argv[1]!="-" else sys.stdin); r=eval(sys.argv[2]); print(json.dumps(r) if not isinstance(r,str) else r)' "$1" "$2"; }

# http METHOD URL [curl args...]: sets HTTP_STATUS and writes the body to $WORK/body
http() {
    local method=$1 url=$2; shift 2
    HTTP_STATUS=$(curl -sk -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' -X "$method" "$url" "$@")
}

# expect_status CODE MSG_SUBSTRING DESC: asserts the last http() result
expect_error() {
    local code=$1 needle=$2 desc=$3
    [[ $HTTP_STATUS == "$code" ]] || fail "$desc: status $HTTP_STATUS, expected $code; body: $(head -c 400 "$WORK/body")"
    python3 - "$WORK/body" "$needle" "$desc" <<'PY' || exit 1
import json, sys
body, needle, desc = sys.argv[1:]
try:
    d = json.load(open(body))
    e = d["error"]; code, msg = e["code"], e["message"]
    assert isinstance(code, str) and code and isinstance(msg, str) and msg
except Exception as ex:
    print(f"FAIL: {desc}: not an MAA error body ({ex}): {open(body).read()[:300]}", file=sys.stderr); sys.exit(1)
if needle.lower() not in msg.lower():
    print(f"FAIL: {desc}: message lacks '{needle}': {msg}", file=sys.stderr); sys.exit(1)
PY
    grep -qi '^content-type: application/json; charset=utf-8' "$WORK/headers" || fail "$desc: error Content-Type is not application/json; charset=utf-8"
    ok "$desc ($code)"
}
