#!/usr/bin/env python3
"""A tiny Intel PCS v4 / PCCS look-alike for tests of the avow PCS client.

Serves one collateral set under /sgx/certification/v4 (and /tdx/...) with
the real response bodies and the issuer-chain headers Intel sends
(URL-encoded PEM). Not a test by itself (tests/integration only runs *.sh).

  pcs_server.py --port-file F --bundle collateral.json [--tcb BODY] [--qe BODY]
                [--pck-crl FILE] [--root-crl FILE] [--v3-headers]
                [--crl-encoding der|hex|pem] [--api-key KEY]
                [--tls-cert PEM --tls-key PEM] [--redirect URL|self] [--delay SECONDS]
                [--number-bundle N=collateral.json]... [--evalnums BODY --evalnums-chain PEM]

--bundle gives the issuer chains (and, when the raw files are not given,
the TCB Info / QE Identity bodies and the CRLs). GET /_stats answers the
number of requests per route as JSON (counted as they arrive), and under
"tcb_by_fmspc" the /tcb requests per FMSPC (lower-case hex) and under
"tcb_max_concurrent" the most /tcb requests held at once; --delay holds each
/tcb answer back, for tests of concurrent requests. GET /_seen: the path and the
Ocp-Apim-Subscription-Key header (null when absent) of every request. With
--redirect URL every request answers 307 to URL + its path and query; with
--redirect self, to /moved + its path on this server (served normally).
--tls-cert/--tls-key serve HTTPS. A missing CRL answers 404 with
Error-Code / Error-Message headers, as PCS does.
--number-bundle N=FILE serves FILE's TCB Info and QE Identity for
tcbEvaluationDataNumber=N (any other number: 404, as PCS answers a number it
no longer serves); --evalnums serves /tcbevaluationdatanumbers with the
TCB-Evaluation-Data-Numbers-Issuer-Chain header.
"""
import argparse
import base64
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = None
stats = {}
seen = []
tcb_now = [0]  # /tcb requests being held back (--delay) right now
lock = threading.Lock()


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def pem_crl(der):
    b = base64.encodebytes(der).decode().replace("\n", "")
    lines = "\n".join(b[i:i + 64] for i in range(0, len(b), 64))
    return f"-----BEGIN X509 CRL-----\n{lines}\n-----END X509 CRL-----\n".encode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *a):
        pass

    def send(self, status, body=b"", headers=None, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Request-ID", "test-request-id")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, code, msg):
        self.send(status, b"", {"Error-Code": code, "Error-Message": msg})

    def do_GET(self):
        if self.path == "/_seen":
            with lock:
                return self.send(200, json.dumps(seen).encode())
        with lock:
            seen.append({"path": self.path, "key": self.headers.get("Ocp-Apim-Subscription-Key")})
        moved = self.path.startswith("/moved/")
        if args.redirect and not moved:
            to = "/moved" + self.path if args.redirect == "self" else args.redirect + self.path
            return self.send(307, b"", {"Location": to})
        u = urllib.parse.urlsplit(self.path[len("/moved"):] if moved else self.path)
        q = urllib.parse.parse_qs(u.query)
        path = u.path
        for prefix in ("/sgx/certification/v4", "/tdx/certification/v4"):
            if path.startswith(prefix):
                route = path[len(prefix):]
                break
        else:
            route = path
        with lock:
            stats[route] = stats.get(route, 0) + 1
            snapshot = json.dumps(stats).encode() if route == "/_stats" else None
        if snapshot is not None:
            return self.send(200, snapshot)
        if args.api_key and self.headers.get("Ocp-Apim-Subscription-Key") != args.api_key:
            return self.error(401, "Unauthorized", "missing or wrong subscription key")
        b = args.bundle_json
        enc = lambda pem: urllib.parse.quote(pem, safe="")
        if route == "/tcbevaluationdatanumbers":
            if not args.evalnums:
                return self.error(404, "NotFound", "no TCB evaluation data numbers")
            return self.send(200, read(args.evalnums),
                             {"TCB-Evaluation-Data-Numbers-Issuer-Chain": enc(read(args.evalnums_chain, "r"))})
        num = q.get("tcbEvaluationDataNumber", [None])[0]
        if num is not None and route in ("/tcb", "/qe/identity"):
            if "update" in q:
                return self.error(400, "InvalidParameter", "update and tcbEvaluationDataNumber")
            if num not in args.numbers:
                return self.error(404, "NotFound", f"no collateral for tcbEvaluationDataNumber={num}")
            b, tcb_body, qe_body = args.numbers[num]
        else:
            tcb_body, qe_body = args.tcb_body, args.qe_body
        if route == "/tcb":
            fmspc = q.get("fmspc", [""])[0]
            with lock:
                by = stats.setdefault("tcb_by_fmspc", {})
                by[fmspc.lower()] = by.get(fmspc.lower(), 0) + 1
                tcb_now[0] += 1
                stats["tcb_max_concurrent"] = max(stats.get("tcb_max_concurrent", 0), tcb_now[0])
            try:
                if args.delay:
                    time.sleep(args.delay)
            finally:
                with lock:
                    tcb_now[0] -= 1
            if fmspc.lower() != args.fmspc.lower():
                return self.error(404, "NotFound", f"no TCB info for FMSPC {fmspc}")
            name = "SGX-TCB-Info-Issuer-Chain" if args.v3_headers else "TCB-Info-Issuer-Chain"
            return self.send(200, tcb_body, {name: enc(b["tcb_info_issuer_chain"])})
        if route == "/qe/identity":
            return self.send(200, qe_body,
                             {"SGX-Enclave-Identity-Issuer-Chain": enc(b["qe_identity_issuer_chain"])})
        if route == "/pckcrl":
            ca = q.get("ca", [""])[0]
            if ca not in ("processor", "platform"):
                return self.error(400, "InvalidParameter", "ca")
            if not args.pck_crl or ca != args.ca:
                return self.error(404, "NotFound", f"no PCK CRL for ca={ca}")
            body = {"der": args.pck_crl, "hex": args.pck_crl.hex().encode(),
                    "pem": pem_crl(args.pck_crl)}[args.crl_encoding]
            return self.send(200, body, {"SGX-PCK-CRL-Issuer-Chain": enc(b["pck_crl_issuer_chain"])},
                             "application/pkix-crl")
        if route == "/rootcacrl":
            if not args.root_crl:
                return self.error(404, "NotFound", "no root CA CRL")
            return self.send(200, args.root_crl.hex().encode(), {}, "application/x-pem-file")
        return self.error(404, "NotFound", route)


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--bundle", required=True)
    p.add_argument("--tcb")
    p.add_argument("--qe")
    p.add_argument("--pck-crl")
    p.add_argument("--root-crl")
    p.add_argument("--ca", default="platform")
    p.add_argument("--v3-headers", action="store_true")
    p.add_argument("--crl-encoding", default="der", choices=["der", "hex", "pem"])
    p.add_argument("--api-key")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--redirect")
    p.add_argument("--delay", type=float, default=0)
    p.add_argument("--number-bundle", action="append", default=[])
    p.add_argument("--evalnums")
    p.add_argument("--evalnums-chain")
    args = p.parse_args()
    b = json.loads(read(args.bundle))
    args.bundle_json = b
    bodies = lambda b: (json.dumps({"tcbInfo": "@@", "signature": b["tcb_info_signature"]}).replace(
        '"@@"', b["tcb_info"]).encode(), json.dumps(
        {"enclaveIdentity": "@@", "signature": b["qe_identity_signature"]}).replace(
        '"@@"', b["qe_identity"]).encode())
    tcb_body, qe_body = bodies(b)
    args.tcb_body = read(args.tcb) if args.tcb else tcb_body
    args.qe_body = read(args.qe) if args.qe else qe_body
    args.numbers = {}
    for nb in args.number_bundle:
        n, path = nb.split("=", 1)
        nbj = json.loads(read(path))
        args.numbers[n] = (nbj,) + bodies(nbj)
    args.fmspc = json.loads(b["tcb_info"])["fmspc"]
    args.pck_crl = read(args.pck_crl) if args.pck_crl else bytes.fromhex(b["pck_crl"] or "")
    args.root_crl = read(args.root_crl) if args.root_crl else bytes.fromhex(b["root_ca_crl"] or "")
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if args.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
