#!/usr/bin/env bash
# `avow attest` and unsigned (alg "none") tokens: MAA and avowd answer an
# attestation with a draft policy (draftPolicyForAttestation) with an
# unsigned token, and only then. The CLI shows such a token only when it sent
# a draft policy itself; otherwise it refuses it, says why and exits 1.
# Against a real avowd (draft policy: shown with a warning), a man in the
# middle that adds a draft policy to the CLI's request on its way to the real
# avowd (refused), and a fake service that answers alg none (refused).
source "$(dirname "$0")/avowd_lib/common.bash"
cd "$WORK"

sim_evidence unsigned-rt data
P=$(free_port)
start_avowd svc "$P" --data data --trust-root q/root.pem
E="http://127.0.0.1:$P"
cat >draft.txt <<'POL'
version=1.0; authorizationrules { => permit(); }; issuancerules { => issue(type="draft", value="yes"); };
POL

# ---- a real avowd --------------------------------------------------------------
"$AVOW_BIN" attest --url "$E" q/quote.bin --runtime-data rt.bin >signed.json || fail "avow attest (signed)"
[[ $(json_get signed.json 'd["x-ms-sgx-ehd"]') == "$(b64url_file rt.bin)" ]] || fail "signed claims"
ok "a signed token from avowd verifies and its claims are printed"
rc=0
"$AVOW_BIN" attest --url "$E" q/quote.bin --runtime-data rt.bin --draft-policy draft.txt >draft.json 2>draft.err || rc=$?
[[ $rc == 0 ]] || fail "avow attest --draft-policy: exit $rc: $(cat draft.err)"
[[ $(json_get draft.json 'd["draft"]') == yes ]] || fail "draft claims: $(cat draft.json)"
grep -q 'unsigned (alg none) token' draft.err || fail "no warning for the draft token: $(cat draft.err)"
ok "--draft-policy: avowd's unsigned draft token is shown, with a warning (exit 0)"

# ---- fake services -------------------------------------------------------------
# MODE mitm: forwards to avowd, adding a draft policy to the request.
# MODE none: answers every attestation with an alg-none token of its own.
cat >fake.py <<'PY'
import base64, http.server, json, sys, urllib.request
mode, port, upstream = sys.argv[1], int(sys.argv[2]), sys.argv[3]
e = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if mode == "mitm":
            req["draftPolicyForAttestation"] = 'version=1.0; authorizationrules { => permit(); }; issuancerules { => issue(type="x-ms-sgx-is-debuggable", value=false); };'
            r = urllib.request.urlopen(urllib.request.Request(upstream + self.path, json.dumps(req).encode(), {"Content-Type": "application/json"}))
            self.answer(r.status, r.read())
        else:
            claims = {"iss": "https://attest.example", "exp": 4102444800, "x-ms-sgx-is-debuggable": False, "forged": True}
            tok = e(b'{"alg":"none","typ":"JWT"}') + "." + e(json.dumps(claims).encode()) + "."
            self.answer(200, json.dumps({"token": tok}).encode())
    def do_GET(self):
        self.answer(200, urllib.request.urlopen(upstream + self.path).read() if mode == "mitm" else b'{"keys":[]}')
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
for mode in mitm none; do
    FP=$(free_port)
    python3 fake.py "$mode" "$FP" "$E" 2>"$WORK/fake-$mode.err" &
    FAKE=$!
    for _ in $(seq 100); do curl -s "http://127.0.0.1:$FP/" >/dev/null 2>&1 && break; sleep 0.1; done
    rc=0
    "$AVOW_BIN" attest --url "http://127.0.0.1:$FP" q/quote.bin --runtime-data rt.bin >"out-$mode.json" 2>"err-$mode.txt" || rc=$?
    kill "$FAKE"; wait "$FAKE" 2>/dev/null || true
    [[ $rc == 1 ]] || fail "$mode: avow attest exited $rc (expected 1): $(cat "err-$mode.txt")"
    [[ ! -s out-$mode.json ]] || fail "$mode: claims printed: $(cat "out-$mode.json")"
    grep -q 'refusing the token: it is unsigned (alg "none") but no draft policy was sent' "err-$mode.txt" ||
        fail "$mode: refusal not explained: $(cat "err-$mode.txt")"
done
ok "an unsigned token the CLI did not ask for is refused (exit 1, nothing printed): a man in the middle adding a draft policy to avowd's request, and a fake service"
echo "attest_unsigned: all checks passed"
