#!/usr/bin/env bash
# avowd's connection-level hardening (docs/security.md): TLS 1.2 and 1.3 only
# (1.0 and 1.1 handshakes refused, with an openssl client that offers them);
# the access log stays valid JSON whatever bytes a client puts in the method
# and the path; a PCS subscription key with an http:// upstream is refused at
# startup.
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
echo "avowd_hardening: all checks passed"
