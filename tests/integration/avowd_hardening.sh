#!/usr/bin/env bash
# avowd's connection-level hardening (docs/security.md): TLS 1.2 and 1.3 only
# (1.0 and 1.1 handshakes refused, with an openssl client that offers them);
# the access log stays valid JSON whatever bytes a client puts in the method
# and the path; a PCS subscription key with an http:// upstream is refused at
# startup; the per-client connection limit; the budget for request bodies
# held in memory, in all and per client address (503 + Retry-After); bodies
# framed two ways refused; the drain at SIGTERM.
source "$(dirname "$0")/avowd_lib/common.bash"
cd "$WORK"

# ---- TLS versions --------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout tls.key -out tls.pem -days 2 \
    -subj "/CN=127.0.0.1" 2>/dev/null || fail "openssl req"
PT=$(free_port)
start_avowd tls "$PT" --data data-tls --tls-cert tls.pem --tls-key tls.key --access-log off
TLS_PID=$LAST_PID
handshake() { # VERSION-FLAG -> prints the negotiated protocol, or nothing
    # SECLEVEL=0 lets this OpenSSL offer the old versions at all
    echo | timeout 10 openssl s_client -connect "127.0.0.1:$PT" "$1" -cipher 'DEFAULT:@SECLEVEL=0' \
        2>/dev/null | sed -n 's/^New, \(TLSv1[.0-9]*\), Cipher is .*/\1/p' || true
}
for v in tls1 tls1_1; do
    got=$(handshake "-$v")
    [[ -z $got ]] || fail "a -$v handshake was accepted ($got)"
done
[[ $(handshake -tls1_2) == TLSv1.2 ]] || fail "TLS 1.2 handshake refused"
[[ $(handshake -tls1_3) == TLSv1.3 ]] || fail "TLS 1.3 handshake refused"
cipher=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$PT" -tls1_2 -cipher 'AES256-SHA256:AES128-SHA' 2>/dev/null |
    sed -n 's/^New, .*Cipher is \(.*\)/\1/p' || true)
[[ $cipher == "(NONE)" ]] || fail "a TLS 1.2 client offering only RSA key transport / CBC got $cipher"
curl -fsk "https://127.0.0.1:$PT/health" >/dev/null || fail "curl over https"
stop_avowd "$TLS_PID"
ok "TLS: 1.0 and 1.1 refused, 1.2 (ECDHE + AEAD only) and 1.3 accepted"

# ---- access log escaping -------------------------------------------------------
P=$(free_port)
start_avowd plain "$P" --data data --access-log "$WORK/access.log"
python3 - "$P" "$WORK/sent.json" <<'PY' || fail "raw requests"
import json, socket, sys
port = int(sys.argv[1])
# (method, raw request target): quotes, backslashes, control bytes, DEL,
# non-ASCII, and percent-escapes that libmicrohttpd decodes into the same
reqs = [
    (b'GE"T\\', b'/a'),
    (b'G\x01T', b'/b'),
    (b'P\x1b[2JOST', b'/c\x02"\\'),
    (b'GET', b'/p%22q%5Cr%01s%0At%0D%7f%ff"\\'),
    (b'GET', b'/\xc3\xa9\xff\x7f'),
    (b'X\x7f\xfe"}', b'/",\"status\":200,\"x\":\"'),
]
sent = []
for m, t in reqs:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(m + b" " + t + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk: break
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 "), (m, t, data[:80])
    sent.append(m.decode("latin-1"))
json.dump(sent, open(sys.argv[2], "w"))
PY
curl -s -o /dev/null "http://127.0.0.1:$P/health"
stop_avowd "$LAST_PID"
python3 - "$WORK/access.log" "$WORK/sent.json" <<'PY' || fail "access log"
import json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
assert lines[-1] == b"", "the log does not end with a newline"
recs = []
for l in lines[:-1]:
    l.decode("ascii")          # every byte escaped: the line is pure ASCII
    recs.append(json.loads(l)) # and valid JSON
sent = json.load(open(sys.argv[2]))
methods = [r["method"] for r in recs]
for m in sent:
    assert m in methods, (m, methods)   # escaped one byte to one \u00XX: round trip
assert all(r["status"] in (200, 400, 404, 405) for r in recs), [r["status"] for r in recs]
assert not any(r.get("x") for r in recs), "a field injected through the path"
print(len(recs), "access-log lines, all valid JSON")
PY
ok "access log: methods and paths with quotes, backslashes, control and non-ASCII bytes stay escaped, every line valid JSON"
# ---- the PCS subscription key never goes over plain http ------------------------
rc=0
"$AVOWD_BIN" --listen "127.0.0.1:$(free_port)" --data data-pcs --pcs-url http://127.0.0.1:9/sgx/certification/v4 \
    --pcs-key sekrit-key >pcs.out 2>pcs.err || rc=$?
[[ $rc != 0 ]] || fail "avowd started with a subscription key and an http:// PCS URL"
grep -q 'refusing to send the subscription key over plain http' pcs.err || fail "no clear error: $(cat pcs.err)"
! grep -q sekrit-key pcs.err pcs.out || fail "the key appears in the log"
ok "avowd refuses --pcs-key with an http:// --pcs-url at startup (exit $rc), without logging the key"
# ---- per-client connection limit and the body-memory budget ---------------------
sim_evidence hardening-rt data-lim
printf '{"quote":"%s"}' "$(b64url_file q/quote.bin)" >attest.json
PL=$(free_port)
printf 'per-ip-connections = 4\nbody-memory = 250000\n' >limits.conf # the config file's names
start_avowd limits "$PL" --data data-lim --trust-root q/root.pem --access-log off \
    --config limits.conf --max-body 100000
python3 - "$PL" attest.json <<'PY' || fail "limits"
import json, socket, sys, time
port, body = int(sys.argv[1]), open(sys.argv[2], "rb").read()
def conn(src="127.0.0.1"):  # any 127/8 address reaches the listener as another client
    return socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(src, 0))
def read_answer(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk: return None, {}, b""
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    n = int(hdrs.get("content-length", 0))
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk: break
        rest += chunk
    return int(lines[0].split()[1]), hdrs, rest
def request(s, method, path, body=b"", extra=""):
    s.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\n{extra}Content-Length: {len(body)}\r\n\r\n".encode() + body)
    return read_answer(s)
def attest_ok(s):
    st, h, b = request(s, "POST", "/attest/SgxEnclave", body, "Content-Type: application/json\r\n")
    assert st == 200 and b'"token"' in b, (st, b[:200])
def busy(st, h, b, what):
    assert st == 503 and h.get("retry-after") == "1", (what, st, h, b[:200])
    e = json.loads(b)["error"]
    assert e["code"] == "ServiceUnavailable" and what in e["message"], e

# per-IP: 4 keep-alive connections work; a 5th is closed without an answer;
# once one of the 4 closes, a new one is served
four = [conn() for _ in range(4)]
for s in four: attest_ok(s)
fifth = conn()
try:
    st, _, _ = request(fifth, "GET", "/health")
except (ConnectionResetError, BrokenPipeError):
    st = None
assert st is None, f"a 5th connection from one address was served ({st})"
four.pop().close()
time.sleep(0.3)
s = conn(); attest_ok(s); four.append(s)
for s in four: attest_ok(s)  # the others are unaffected
for s in four: s.close()
time.sleep(0.3)
print("per-IP limit: 4 served, the 5th closed unanswered, a replacement served")

# body budget 250000 with max-body 100000, so 100001 per client address
# (the larger of a quarter and one body): one client's second slow upload is
# 503 + Retry-After before its body (before, one client's idle uploads held
# the whole budget and every other client got 503); slow uploads from two
# addresses hold 200002, and a third client's 100000 bytes are 503; an
# ordinary attestation (a few KB) from a fourth still fits; a chunked body
# that grows past the budget is 503 too; once the slow uploads end, the
# large one is taken.
def slow_upload(src):
    s = conn(src)
    s.sendall(b"POST /attest/SgxEnclave HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"{" * 10)
    return s
slow = [slow_upload("127.0.0.1")]
time.sleep(0.5)
again = conn("127.0.0.1")
busy(*request(again, "POST", "/attest/SgxEnclave", b"x" * 100000), "100001 per client address")
again.close()
slow.append(slow_upload("127.0.0.2"))
time.sleep(0.5)
big = conn("127.0.0.3")
busy(*request(big, "POST", "/attest/SgxEnclave", b"x" * 100000), "250000 bytes in all")
big.close()
s = conn("127.0.0.4"); attest_ok(s); s.close()
ch = conn("127.0.0.3")
ch.sendall(b"POST /attest/SgxEnclave HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
for _ in range(6):
    ch.sendall(b"2710\r\n" + b"y" * 10000 + b"\r\n")
ch.sendall(b"0\r\n\r\n")
st, h, b = read_answer(ch)
assert st == 503 and h.get("retry-after") == "1", ("chunked", st, b[:200])
ch.close()
for s in slow: s.close()
time.sleep(0.5)
big = conn()
st, h, b = request(big, "POST", "/attest/SgxEnclave", b"x" * 100000)
assert st == 400, ("after the slow uploads ended", st, b[:200])
big.close()
print("body budget: 503 + Retry-After past 100001 bytes per address and 250000 in all (Content-Length and chunked); released after")
PY
stop_avowd "$LAST_PID"
ok "per-IP connection limit and body-memory budget enforced; ordinary attestations unaffected"
grep -q '"--per-ip-connections\|--per-ip-connections N' <("$AVOWD_BIN" --help) && grep -q -- '--body-memory BYTES' <("$AVOWD_BIN" --help) ||
    fail "avowd --help lacks the new limits"
rc=0; "$AVOWD_BIN" --data x --max-body 1000 --body-memory 1000 2>cfg.err || rc=$?
[[ $rc == 2 ]] && grep -q "must be larger than max-body" cfg.err || fail "body-memory below max-body accepted (rc $rc)"
ok "avowd --help names the limits; a budget below max-body is refused"

# ---- trailing bytes after a quote's auth data: one rule ---------------------------
# Accepted whatever they hold, as by the verifier and the CLI: /attest/SgxEnclave
# and /attest/OpenEnclave (the Open Enclave header's report_size covers them)
# answer 200 as for the bare quote; an OE header whose size disagrees is 400.
PQ=$(free_port)
start_avowd trail "$PQ" --data data-lim --trust-root q/root.pem --access-log off
python3 - "$PQ" q/quote.bin <<'PY' || fail "trailing bytes at avowd"
import base64, json, struct, sys, urllib.request, urllib.error
port, quote = int(sys.argv[1]), open(sys.argv[2], "rb").read()
b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
def post(kind, field, blob):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/attest/{kind}",
                                 json.dumps({field: b64(blob)}).encode(), {"Content-Type": "application/json"})
    try:
        r = urllib.request.urlopen(req); return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
oe = lambda q, size=None: struct.pack("<IIQ", 1, 2, len(q) if size is None else size) + q
for trail in (b"", b"\0" * 70, b"trailing ASCII \xff\x01"):
    st, b = post("SgxEnclave", "quote", quote + trail)
    assert st == 200 and "token" in b, ("SgxEnclave", trail, st, b)
    st, b = post("OpenEnclave", "report", oe(quote + trail))
    assert st == 200 and "token" in b, ("OpenEnclave", trail, st, b)
st, b = post("OpenEnclave", "report", oe(quote + b"xyz", len(quote)))
assert st == 400 and "report_size" in b["error"]["message"], (st, b)
print("trailing bytes: 200 on both attest routes; OE header size mismatch 400")
PY
ok "trailing bytes after the auth data: accepted by /attest/SgxEnclave and /attest/OpenEnclave as by the verifier"

# ---- a body framed two ways (request smuggling) ------------------------------------
# Two different Content-Lengths, or Transfer-Encoding with Content-Length: a proxy
# in front may take the other framing, so the request is refused (400) and the
# connection closed, with exactly one answer. Before, avowd took the first
# Content-Length and read the rest of the body as a second request (two
# answers), and took chunked over Content-Length (200) without closing.
python3 - "$PQ" q/quote.bin <<'PY' || fail "body framing"
import base64, json, socket, sys
port, quote = int(sys.argv[1]), open(sys.argv[2], "rb").read()
body = json.dumps({"quote": base64.urlsafe_b64encode(quote).decode().rstrip("=")}).encode()
def send(head, rest):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /attest/SgxEnclave HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n" + rest)
    out = b""
    while True:  # until avowd closes the connection (the timeout fails the test)
        chunk = s.recv(65536)
        if not chunk: break
        out += chunk
    s.close()
    return out
chunked = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
second = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"  # what a proxy would see as body
cases = {
    "two Content-Lengths": (b"Content-Length: 10\r\nContent-Length: %d\r\n" % (len(body) + len(second)), body + second),
    "Transfer-Encoding and Content-Length": (b"Transfer-Encoding: chunked\r\nContent-Length: %d\r\n" % len(chunked), chunked + second),
}
for what, (head, rest) in cases.items():
    out = send(head, rest)
    assert out.count(b"HTTP/1.1 ") == 1, (what, out[:600])
    assert out.startswith(b"HTTP/1.1 400 "), (what, out[:300])
    e = json.loads(out.split(b"\r\n\r\n", 1)[1])["error"]
    assert "frames its body two ways" in e["message"], (what, e)
out = send(b"Transfer-Encoding: chunked\r\nConnection: close\r\n", chunked)  # one framing: served
assert out.startswith(b"HTTP/1.1 200 ") and b'"token"' in out, out[:300]
print("body framed two ways: one 400, connection closed; chunked alone: 200")
PY
# A NUL decoded from %00 in a query argument or header would cut the value
# short ("...%00junk" read as the part before it): refused instead.
http GET "http://127.0.0.1:$PQ/sgx/certification/v4/tcb?fmspc=00606a000000%00junk"
expect_error 400 "holds a NUL byte" "%00 in a query argument"
http GET "http://127.0.0.1:$PQ/sgx/certification/v4/tcb?fmspc%00x=00606a000000"
expect_error 400 "holds a NUL byte" "%00 in a query argument's name"
http GET "http://127.0.0.1:$PQ/health"
[[ $HTTP_STATUS == 200 ]] || fail "/health after the %00 requests: $HTTP_STATUS"
stop_avowd "$LAST_PID"
ok "a body framed two ways is refused and its connection closed; %00 in a query argument is refused"

# ---- drain at SIGTERM --------------------------------------------------------------
# A request in progress (headers and half its body sent) when SIGTERM arrives
# is still answered in full once its body completes; a new connection after
# SIGTERM is refused; a request that never completes is cut at --drain-time.
PD=$(free_port)
start_avowd drain "$PD" --data data-lim --trust-root q/root.pem --access-log off --drain-time 3
python3 - "$PD" attest.json "$LAST_PID" <<'PY' || fail "drain"
import os, signal, socket, sys, time
port, body, pid = int(sys.argv[1]), open(sys.argv[2], "rb").read(), int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"POST /attest/SgxEnclave HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:len(body) // 2])
time.sleep(0.3)
os.kill(pid, signal.SIGTERM)
time.sleep(0.5)
try:
    socket.create_connection(("127.0.0.1", port), timeout=2).close()
    raise SystemExit("a new connection was accepted after SIGTERM")
except ConnectionRefusedError:
    pass
s.sendall(body[len(body) // 2:])
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
head, _, rest = data.partition(b"\r\n\r\n")
assert head.startswith(b"HTTP/1.1 200"), head[:100]
assert b"connection: close" in head.lower(), head
assert b'"token"' in rest, rest[:200]
print("in-progress request answered 200 after SIGTERM, then the connection closed")
PY
rc=0; wait "$LAST_PID" || rc=$?
[[ $rc == 0 ]] || fail "exit status $rc after the drain"
PD=$(free_port)
start_avowd stuck "$PD" --data data-lim --trust-root q/root.pem --access-log off --drain-time 2
exec 7<>/dev/tcp/127.0.0.1/"$PD"
printf 'POST /attest/SgxEnclave HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{"quote"' >&7
sleep 0.3
t0=$(date +%s%N)
kill -TERM "$LAST_PID"; rc=0; wait "$LAST_PID" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
exec 7>&-
[[ $rc == 0 && $ms -ge 1800 && $ms -lt 6000 ]] || fail "stuck request: exit $rc after $ms ms (drain time 2 s)"
grep -q 'drain time (2 s) over: closing 1 request' "$WORK/stuck.err" || fail "no drain-time warning"
ok "drain: an in-progress request answered after SIGTERM; new connections refused; a stuck one cut after --drain-time ($ms ms)"
echo "avowd_hardening: all checks passed"
