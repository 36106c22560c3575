"""Propagation checks between avowd replicas (used by avowd_replicas.sh).

Each command makes (or is told the time of) one acknowledged change through
one replica, then polls the others every 20 ms until the change is in force
there, and prints the delay per replica as JSON. Exit status 1 (with the
delays) when a replica did not follow within --within seconds.

  put-policy --writer URL --admin T --jws FILE --hash H --label L
             [--kill PID] --body FILE --within S URL...
      PUT the policy JWS through the writer (--kill: SIGKILL that pid the
      moment the PUT is answered 200); in force on URL when GET /policies
      returns that JWS and an attestation token names x-ms-policy-hash H
      and carries the claim policy=L.
  add-cert --writer URL --admin T --request FILE --cert PEM --within S URL...
      POST /certificates:add (the signed request in FILE); in force when
      GET /certificates lists PEM's certificate.
  kid --kid K --since T --body FILE --within S URL...
      (after `avow key rotate` finished at unix time T) in force when /certs
      lists K first and an attestation token is signed with kid K.
"""
import argparse
import base64
import http.client
import json
import os
import signal
import sys
import time
import urllib.parse


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_part(token, i):
    return json.loads(b64d(token.split(".")[i]))


def request(url, method, path, body=None, headers=None):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        c.request(method, path, body, headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def token_of(status, data):
    if status != 200:
        return None
    try:
        return json.loads(data)["token"]
    except (ValueError, KeyError):
        return None


def watch(urls, check, since, within):
    """Polls check(url) on every url until true; returns {url: delay}."""
    delays, pending = {}, list(urls)
    deadline = since + max(within * 5, 15)
    while pending and time.time() < deadline:
        for url in list(pending):
            try:
                ok = check(url)
            except OSError:
                ok = False
            if ok:
                delays[url] = round(time.time() - since, 3)
                pending.remove(url)
        if pending:
            time.sleep(0.02)
    for url in pending:
        delays[url] = None
    return delays


def report(what, delays, within):
    print(json.dumps({"change": what, "within": within, "delays": delays}))
    late = [u for u, d in delays.items() if d is None or d > within]
    if late:
        print(f"{what}: not in force within {within} s on {late}", file=sys.stderr)
        sys.exit(1)


def put_policy(a):
    jws = open(a.jws).read().strip()
    body = open(a.body, "rb").read()
    status, data = request(a.writer, "PUT", "/policies/SgxEnclave", jws,
                           {"Authorization": "Bearer " + a.admin, "Content-Type": "text/plain"})
    since = time.time()
    if a.kill:
        os.kill(a.kill, signal.SIGKILL)
    if status != 200:
        print(f"PUT through {a.writer}: {status} {data[:300]!r}", file=sys.stderr)
        sys.exit(1)
    want_policy = jwt_part(jws, 1)["AttestationPolicy"]

    def check(url):
        t = token_of(*request(url, "GET", "/policies/SgxEnclave", None,
                              {"Authorization": "Bearer " + a.admin}))
        if not t or jwt_part(jwt_part(t, 1)["x-ms-policy"], 1).get("AttestationPolicy") != want_policy:
            return False
        t = token_of(*request(url, "POST", "/attest/SgxEnclave", body,
                              {"Content-Type": "application/json"}))
        if not t:
            return False
        c = jwt_part(t, 1)
        return c.get("x-ms-policy-hash") == a.hash and c.get("policy") == a.label

    report(f"policy {a.label}", watch(a.urls, check, since, a.within), a.within)


def add_cert(a):
    req = open(a.request).read().strip()
    pem = open(a.cert).read()
    der_b64 = "".join(l for l in pem.splitlines() if l and not l.startswith("-----"))
    status, data = request(a.writer, "POST", "/certificates:add", req,
                           {"Authorization": "Bearer " + a.admin, "Content-Type": "text/plain"})
    since = time.time()
    if status != 200:
        print(f"certificates:add through {a.writer}: {status} {data[:300]!r}", file=sys.stderr)
        sys.exit(1)

    def check(url):
        t = token_of(*request(url, "GET", "/certificates", None,
                              {"Authorization": "Bearer " + a.admin}))
        keys = jwt_part(t, 1)["x-ms-policy-certificates"]["keys"] if t else []
        return any(k.get("x5c", [None])[0] == der_b64 for k in keys)

    report("policy-signer certificate", watch(a.urls, check, since, a.within), a.within)


def kid(a):
    body = open(a.body, "rb").read()

    def check(url):
        status, data = request(url, "GET", "/certs")
        keys = json.loads(data)["keys"] if status == 200 else []
        if not keys or keys[0]["kid"] != a.kid:
            return False
        t = token_of(*request(url, "POST", "/attest/SgxEnclave", body,
                              {"Content-Type": "application/json"}))
        return bool(t) and jwt_part(t, 0)["kid"] == a.kid

    report("signing key " + a.kid, watch(a.urls, check, a.since, a.within), a.within)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("put-policy")
    for o in ("--writer", "--admin", "--jws", "--hash", "--label", "--body"):
        s.add_argument(o, required=True)
    s.add_argument("--kill", type=int)
    s = sub.add_parser("add-cert")
    for o in ("--writer", "--admin", "--request", "--cert"):
        s.add_argument(o, required=True)
    s = sub.add_parser("kid")
    for o in ("--kid", "--body"):
        s.add_argument(o, required=True)
    s.add_argument("--since", type=float, required=True)
    for s in sub.choices.values():
        s.add_argument("--within", type=float, required=True)
        s.add_argument("urls", nargs="+")
    a = p.parse_args()
    {"put-policy": put_policy, "add-cert": add_cert, "kid": kid}[a.cmd](a)


if __name__ == "__main__":
    main()
