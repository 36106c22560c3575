#!/usr/bin/env python3
"""Load clients for the collateral-flood test (tests/integration/avowd_flood.sh)
and benchmark (scripts/bench-flood.sh). Not a test by itself.

  flood.py load --url URL --seconds S --conns N [--rate R] [--timeout T]
                [--path P] [--stride K] BODY_FILE...
      N threads, each on its own keep-alive connection, POST the MAA attest
      bodies in turn (thread i's n-th request is body i + n*K, modulo their
      number; K default 1: neighbouring threads ask for the same bodies, K =
      N: each thread its own) to URL + P (default
      /attest/SgxEnclave) until S seconds have passed, then wait for the
      answer to the request in flight. With --rate, R requests per second in
      all, on a fixed schedule per thread (a slot missed while the connection
      waited is sent at once); without, as fast as the answers come back.
      Every connection sends at least one request. A
      request unanswered after T seconds (default 20) counts as hung, and its
      connection is replaced.
  flood.py probe --url URL --seconds S [--legit BODY_FILE] [--interval I]
                 [--metrics-interval M]
      One connection asks GET /health every I seconds (default 0.05), one
      POSTs the legitimate body every I seconds, and one reads /metrics every
      M seconds (default 0.1) for the collateral service's gauges; each
      records every answer's status and latency.

Both print one JSON summary on stdout: per kind the number of requests, the
answers by "status error-code message" (hex runs and numbers in the message
replaced by '#', so that one kind of answer is one key), latency percentiles
in ms, Retry-After values seen, client-side errors (timeouts, resets) and
requests still unanswered when the run ended. Thread-safe: each thread owns
its connection; results are merged under one lock.
"""
import argparse
import http.client
import json
import os
import re
import sys
import threading
import time
import urllib.parse


def percentile(sorted_ms, p):
    if not sorted_ms:
        return None
    k = min(len(sorted_ms) - 1, max(0, int(round(p / 100 * len(sorted_ms) + 0.5)) - 1))
    return round(sorted_ms[k], 3)


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.kinds = {}

    def kind(self, name):
        with self.lock:
            return self.kinds.setdefault(name, {
                "sent": 0, "answered": 0, "answers": {}, "ms": [], "retry_after": {},
                "client_errors": {}, "unanswered": 0, "values": {}})

    def add(self, name, key, ms, retry_after=None):
        k = self.kind(name)
        with self.lock:
            k["answered"] += 1
            k["answers"][key] = k["answers"].get(key, 0) + 1
            k["ms"].append(ms)
            if retry_after is not None:
                k["retry_after"][retry_after] = k["retry_after"].get(retry_after, 0) + 1

    def sent(self, name):
        k = self.kind(name)
        with self.lock:
            k["sent"] += 1

    def error(self, name, what):
        k = self.kind(name)
        with self.lock:
            k["client_errors"][what] = k["client_errors"].get(what, 0) + 1

    def value(self, name, metric, v):
        k = self.kind(name)
        with self.lock:
            k["values"].setdefault(metric, []).append(v)

    def summary(self):
        out = {}
        with self.lock:
            for name, k in self.kinds.items():
                ms = sorted(k["ms"])
                out[name] = {
                    "sent": k["sent"], "answered": k["answered"],
                    "unanswered": k["sent"] - k["answered"],
                    "answers": k["answers"], "retry_after": k["retry_after"],
                    "client_errors": k["client_errors"],
                    "ms": {"p50": percentile(ms, 50), "p90": percentile(ms, 90),
                           "p99": percentile(ms, 99), "max": round(ms[-1], 3) if ms else None,
                           "min": round(ms[0], 3) if ms else None},
                    "over_ms": {str(t): sum(1 for m in ms if m > t) for t in (100, 200, 500, 1000)},
                    "max_values": {m: max(v) for m, v in k["values"].items()},
                }
        return out


NORM = re.compile(r"[0-9a-fA-F]{12,}|\d+(\.\d+)?")


def answer_key(status, resp_headers, body):
    code = resp_headers.get("x-ms-error-code", "")
    msg = ""
    if status != 200:
        try:
            msg = json.loads(body)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            msg = body[:120].decode("latin-1")
        # keep the part that says what happened, drop the upstream's details
        msg = NORM.sub("#", msg)[:200]
    return f"{status} {code} {msg}".strip()


class Client:
    """One keep-alive connection to the service, reopened after a failure."""

    def __init__(self, url, timeout):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.timeout = u.hostname, u.port, timeout
        self.conn = None

    def request(self, method, path, body=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            self.conn.request(method, path, body=body, headers=headers)
            r = self.conn.getresponse()
            data = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            if hdrs.get("connection", "").lower() == "close":
                self.close()
            return r.status, hdrs, data
        except Exception:
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def load(a):
    rec = Recorder()
    bodies = [open(f, "rb").read() for f in a.bodies]
    end = time.monotonic() + a.seconds
    per_thread = a.rate / a.conns if a.rate else 0

    def worker(i):
        c = Client(a.url, a.timeout)
        n, start = 0, time.monotonic()
        while n == 0 or time.monotonic() < end:  # at least one request each
            if per_thread:
                slot = start + n / per_thread
                wait = slot - time.monotonic()
                if wait > 0:
                    time.sleep(min(wait, max(0.0, end - time.monotonic())))
                    if time.monotonic() >= end:
                        break
            body = bodies[(i + n * a.stride) % len(bodies)]
            n += 1
            rec.sent("flood")
            t0 = time.monotonic()
            try:
                status, hdrs, data = c.request("POST", a.path, body)
            except (TimeoutError, OSError, http.client.HTTPException) as e:
                rec.error("flood", "timeout" if isinstance(e, TimeoutError) else type(e).__name__)
                continue
            ms = (time.monotonic() - t0) * 1e3
            rec.add("flood", answer_key(status, hdrs, data), ms,
                    hdrs.get("retry-after") if status == 503 else None)
        c.close()

    run_threads(worker, a.conns, a.seconds + a.timeout + 5, rec, "flood")
    out = rec.summary()
    t = os.times()
    out["flood"]["cpu_s"] = round(t.user + t.system, 2)  # this client's own CPU
    print(json.dumps(out))


def probe(a):
    rec = Recorder()
    legit = open(a.legit, "rb").read() if a.legit else None
    end = time.monotonic() + a.seconds

    def ticker(interval, fn):
        n, start = 0, time.monotonic()
        while time.monotonic() < end:
            fn()
            n += 1
            wait = start + n * interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)

    def one(c, kind, method, path, body=None):
        rec.sent(kind)
        t0 = time.monotonic()
        try:
            status, hdrs, data = c.request(method, path, body)
        except (TimeoutError, OSError, http.client.HTTPException) as e:
            rec.error(kind, "timeout" if isinstance(e, TimeoutError) else type(e).__name__)
            return None
        rec.add(kind, answer_key(status, hdrs, data), (time.monotonic() - t0) * 1e3)
        return data if status == 200 else None

    def health(_):
        c = Client(a.url, a.timeout)
        ticker(a.interval, lambda: one(c, "health", "GET", "/health"))
        c.close()

    def attest(_):
        c = Client(a.url, a.timeout)
        ticker(a.interval, lambda: one(c, "legit", "POST", a.path, legit))
        c.close()

    gauges = re.compile(r"^(avowd_upstream_fetches_in_flight|avowd_upstream_fetches_pending) (\d+)$", re.M)

    def metrics(_):
        c = Client(a.url, a.timeout)

        def read():
            data = one(c, "metrics", "GET", "/metrics")
            for m in gauges.finditer(data.decode() if data else ""):
                rec.value("metrics", m.group(1), int(m.group(2)))

        ticker(a.metrics_interval, read)
        c.close()

    jobs = [health] + ([attest] if legit else []) + ([metrics] if a.metrics_interval > 0 else [])
    run_threads(lambda i: jobs[i](i), len(jobs), a.seconds + a.timeout + 5, rec, None)
    print(json.dumps(rec.summary()))


def run_threads(fn, n, limit, rec, kind):
    threads = [threading.Thread(target=fn, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + limit
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(t.is_alive() for t in threads)
    if stuck and kind:
        rec.error(kind, "thread still waiting at the end")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    lp = sub.add_parser("load")
    lp.add_argument("--url", required=True)
    lp.add_argument("--seconds", type=float, required=True)
    lp.add_argument("--conns", type=int, default=16)
    lp.add_argument("--rate", type=float, default=0)
    lp.add_argument("--timeout", type=float, default=20)
    lp.add_argument("--path", default="/attest/SgxEnclave")
    lp.add_argument("--stride", type=int, default=1)
    lp.add_argument("bodies", nargs="+")
    pp = sub.add_parser("probe")
    pp.add_argument("--url", required=True)
    pp.add_argument("--seconds", type=float, required=True)
    pp.add_argument("--legit")
    pp.add_argument("--interval", type=float, default=0.05)
    pp.add_argument("--metrics-interval", type=float, default=0.1)
    pp.add_argument("--timeout", type=float, default=20)
    pp.add_argument("--path", default="/attest/SgxEnclave")
    a = p.parse_args()
    if a.cmd == "load":
        if a.conns < 1 or a.seconds <= 0:
            p.error("--conns must be >= 1 and --seconds > 0")
        load(a)
    else:
        probe(a)


if __name__ == "__main__":
    sys.exit(main())
