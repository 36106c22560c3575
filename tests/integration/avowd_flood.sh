#!/usr/bin/env bash
# A collateral flood against avowd (docs/security.md, "Collateral floods"):
# avowd with --pcs-url pointing at a slow upstream (pcs_server.py --delay:
# every /tcb answer held 0.5 s; it answers 404 for FMSPCs it does not serve)
# and one legitimate platform L whose collateral is cached. Attackers send
#  - quotes of many made-up platforms: PCK chains issued under L's (trusted)
#    root by `avow sim init --pki`, each with an FMSPC the upstream does not
#    know, on 32 connections as fast as the answers come;
#  - quotes whose PCK chain is under a root avowd does not trust (another
#    `avow sim init`), with L's FMSPC, with FMSPCs nobody knows, and with an
#    FMSPC whose collateral (under that untrusted root) sits in avowd's store.
# Checked:
#  (a) untrusted chains alone: every answer is the pre-check's 400, and they
#      cause no upstream request and no store read (a read of L's entry would
#      count a memory hit, of the planted row a store error, of an unknown
#      FMSPC an upstream request);
#  (b) during the flood: /health answers within 200 ms every time; every
#      legitimate attestation of L succeeds, fast; the upstream is asked at
#      most once per made-up FMSPC (the failure is remembered for
#      --collateral-failure-ttl, longer than the run), never for an untrusted
#      one, never more than --collateral-fetchers at once; at most
#      --collateral-max-pending platforms wait, and the excess gets 503 with
#      Retry-After; every request is answered (some of them parked for a
#      fetch); nothing is pending afterwards;
#  (c) an idle service: parked requests for fresh platforms are answered as
#      soon as their fetch ends (a parked request resumed without waking a
#      request thread hung here until some other traffic came);
#  (d) SIGTERM while requests are parked on fetches slower than --drain-time:
#      each is answered 503 + Retry-After at once and avowd exits 0 (before,
#      libmicrohttpd aborted the process: "MHD_stop_daemon() called while we
#      have suspended connections");
#  (e) the planted row, when a trusted platform with its FMSPC asks, is read,
#      refused (it does not check against the trusted roots) and not used.
source "$(dirname "$0")/avowd_lib/common.bash"
cd "$WORK"
FLOOD="python3 $AVOW_SOURCE/tests/integration/avowd_lib/flood.py"
DELAY=0.5      # upstream /tcb answer time
FETCHERS=2     # --collateral-fetchers
MAX_PENDING=8  # --collateral-max-pending
TTL=60         # --collateral-failure-ttl: longer than the whole test
N_MADEUP=32    # made-up platforms in the flood
FLOOD_SECONDS=6

bodies() { # NAME...: NAME.json, the MAA attest body of the quote in qNAME/
    python3 - "$@" <<'PY'
import base64, json, sys
for n in sys.argv[1:]:
    q = base64.urlsafe_b64encode(open(f"q{n}/quote.bin", "rb").read()).decode().rstrip("=")
    open(f"{n}.json", "w").write(json.dumps({"quote": q}))
PY
}
fmspc_of() { python3 -c 'import json,sys; print(json.loads(json.load(open(sys.argv[1]))["tcb_info"])["fmspc"])' "$1/collateral.json"; }

# ---- evidence ------------------------------------------------------------------
"$AVOW_BIN" sim init L >/dev/null
"$AVOW_BIN" sim quote --platform L --out qL >/dev/null
L_FMSPC=$(fmspc_of qL)
# made-up platforms under L's root: f1...(flood), f2...(the idle check)
mkplat() { # DIR FROM FMSPC
    "$AVOW_BIN" sim init "$1" --pki "$2" --fmspc "$3" >/dev/null &&
        "$AVOW_BIN" sim quote --platform "$1" --out "q$1" >/dev/null
}
export -f mkplat
export AVOW_BIN
{
    for i in $(seq "$N_MADEUP"); do printf 'm%d L f100000000%02x\n' "$i" "$i"; done
    for i in 1 2 3 4; do printf 'r%d L f200000000%02x\n' "$i" "$i"; done
    echo "t1 L e200000000aa" # ux's FMSPC, under the trusted root: (e)
} | xargs -P 2 -L 1 bash -c 'mkplat "$@"' _ || fail "making the made-up platforms"
# untrusted: U's own root; U with L's FMSPC, u1..u4 unknown FMSPCs, ux with
# FMSPC e200000000aa whose collateral (under U's root) is put in the store
"$AVOW_BIN" sim init U --fmspc "$L_FMSPC" >/dev/null
"$AVOW_BIN" sim quote --platform U --out qU >/dev/null
printf 'u%d U e100000000%02x\n' 1 1 2 2 3 3 4 4 | cat - <(echo "ux U e200000000aa") |
    xargs -P 2 -L 1 bash -c 'mkplat "$@"' _ || fail "making the untrusted platforms"
MADEUP=()
for i in $(seq "$N_MADEUP"); do MADEUP+=("m$i"); done
UNTRUSTED=(U u1 u2 u3 u4 ux)
bodies L "${MADEUP[@]}" r1 r2 r3 r4 t1 "${UNTRUSTED[@]}"
mv L.json legit.json
MADEUP=("${MADEUP[@]/%/.json}")
UNTRUSTED=("${UNTRUSTED[@]/%/.json}")
cmp -s L/root.pem qm1/root.pem || fail "the made-up platforms are not under L's root"
cmp -s L/root.pem U/root.pem && fail "U's root is L's"
"$AVOW_BIN" collateral import --data data --root L/root.pem qL/collateral.json >/dev/null
"$AVOW_BIN" collateral import --data data --root U/root.pem qux/collateral.json >/dev/null
ok "evidence: L cached, $N_MADEUP + 4 made-up platforms under L's root, 6 under an untrusted root"

# ---- the slow upstream and avowd --------------------------------------------------
python3 "$AVOW_SOURCE/tests/integration/pcs_server.py" --port-file up.port --bundle qL/collateral.json \
    --ca processor --delay "$DELAY" 2>up.err &
UP_PID=$!
extra_cleanup() { kill "$UP_PID" 2>/dev/null || true; }
for _ in $(seq 100); do [[ -s up.port ]] && break; sleep 0.05; done
[[ -s up.port ]] || fail "the upstream did not start"
UP="http://127.0.0.1:$(cat up.port)"
upstream_stats() { curl -fs "$UP/_stats"; }
P=$(free_port)
E="http://127.0.0.1:$P"
start_avowd flood "$P" --data data --trust-root L/root.pem --pcs-url "$UP/sgx/certification/v4" \
    --collateral-fetchers "$FETCHERS" --collateral-max-pending "$MAX_PENDING" \
    --collateral-failure-ttl "$TTL" --access-log "$WORK/access.log" --audit-log off
FLOOD_PID=$LAST_PID
metric() { curl -fs "$E/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
http POST "$E/attest/SgxEnclave" -H 'Content-Type: application/json' --data-binary @legit.json
[[ $HTTP_STATUS == 200 ]] || fail "the legitimate platform does not attest: $HTTP_STATUS $(cat "$WORK/body")"
[[ $(metric 'avowd_collateral_cache_total{result="store"}') == 1 ]] || fail "L was not loaded from the store"

# ---- (a) untrusted chains alone ---------------------------------------------------
$FLOOD load --url "$E" --seconds 2 --conns 6 "${UNTRUSTED[@]}" >untrusted.json || fail "untrusted load"
python3 - untrusted.json <<'PY' || fail "untrusted chains (see above)"
import json, sys
f = json.load(open(sys.argv[1]))["flood"]
bad = {k: n for k, n in f["answers"].items()
       if not k.startswith("400 InvalidQuote the quote's PCK certificate chain does not check, so its platform is not looked up")}
assert f["answered"] >= 60 and not bad and not f["client_errors"] and not f["unanswered"], f
print(f"ok: {f['answered']} untrusted attestations, each refused by the chain pre-check (p99 {f['ms']['p99']} ms)")
PY
s=$(upstream_stats)
[[ $(json_get - 'd.get("/tcb", 0)' <<<"$s") == 0 ]] || fail "untrusted chains caused upstream requests: $s"
for m in 'avowd_collateral_cache_total{result="hit"}' 'avowd_collateral_store_errors_total' \
    'avowd_collateral_cache_total{result="failure"}' 'avowd_upstream_fetches_total{result="error"}'; do
    [[ $(metric "$m") == 0 ]] || fail "untrusted chains moved $m to $(metric "$m")"
done
[[ $(metric 'avowd_collateral_cache_total{result="store"}') == 1 ]] || fail "untrusted chains loaded from the store"
ok "untrusted chains: zero upstream requests, zero store reads, no memory lookups"

# ---- (b) the flood ----------------------------------------------------------------
$FLOOD probe --url "$E" --seconds "$FLOOD_SECONDS" --legit legit.json --interval 0.05 >probe.json &
PROBE=$!
$FLOOD load --url "$E" --seconds "$FLOOD_SECONDS" --conns 32 "${MADEUP[@]}" >madeup.json &
MADE=$!
$FLOOD load --url "$E" --seconds "$FLOOD_SECONDS" --conns 4 "${UNTRUSTED[@]}" >untrusted2.json &
UNTR=$!
wait "$PROBE" || fail "probe"
wait "$MADE" || fail "made-up flood"
wait "$UNTR" || fail "untrusted flood"
upstream_stats >upstream.json
curl -fs "$E/metrics" >metrics.txt
python3 - probe.json madeup.json untrusted2.json upstream.json metrics.txt "$N_MADEUP" "$FETCHERS" "$MAX_PENDING" "$DELAY" "$L_FMSPC" <<'PY' || fail "the flood (see above)"
import json, re, sys
probe, madeup, untr, up = (json.load(open(p)) for p in sys.argv[1:5])
metrics = dict(re.findall(r"^(\S+) (\S+)$", open(sys.argv[5]).read(), re.M))
n_madeup, fetchers, max_pending, delay, l_fmspc = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8]), float(sys.argv[9]), sys.argv[10]
fails = []
def check(cond, msg):
    print(("ok: " if cond else "FAIL: ") + msg)
    if not cond: fails.append(msg)

h, l, m, u = probe["health"], probe["legit"], madeup["flood"], untr["flood"]
check(h["answered"] >= 100 and set(h["answers"]) == {"200"} and not h["client_errors"],
      f"/health: {h['answered']} probes, all 200 ({h['answers']}, errors {h['client_errors']})")
check(h["ms"]["max"] < 200, f"/health p100 {h['ms']['max']} ms < 200 ms (p50 {h['ms']['p50']}, p99 {h['ms']['p99']})")
check(l["answered"] >= 50 and set(l["answers"]) == {"200"} and not l["client_errors"],
      f"legitimate attestations: {l['answered']}, all 200 ({l['answers']}, errors {l['client_errors']})")
check(l["ms"]["p99"] < 300 and l["ms"]["max"] < 1000,
      f"legitimate attestations fast: p50 {l['ms']['p50']} ms, p99 {l['ms']['p99']} ms < 300, max {l['ms']['max']} ms < 1000")

# made-up platforms: 400 (the upstream has no collateral for them; fetched
# once, then remembered) or 503 + Retry-After (too many platforms pending)
missing = "400 CollateralUnavailable collateral unavailable: collateral for FMSPC # (processor CA, SGX) is not cached and the upstream"
busy = "503 CollateralUnavailable collateral unavailable: collateral for FMSPC # (processor CA, SGX): too many platforms are waiting for the upstream; retry later"
other = {k: n for k, n in m["answers"].items() if not (k.startswith(missing) or k == busy)}
n400 = sum(n for k, n in m["answers"].items() if k.startswith(missing))
n503 = m["answers"].get(busy, 0)
check(not other, f"made-up platforms: {n400} x 400 (no collateral upstream), {n503} x 503 (busy), nothing else {other}")
check(n503 > 0 and m["retry_after"] == {"1": n503},
      f"excess pending platforms get 503 with Retry-After: 1 ({m['retry_after']})")
check(n400 > 0 and m["over_ms"]["500"] > 0,
      f"parked requests answered when their fetch ended ({m['over_ms']['500']} answers after > 500 ms)")
check(m["sent"] == m["answered"] and not m["client_errors"],
      f"every made-up request answered: {m['answered']} of {m['sent']}, client errors {m['client_errors']}")
bad_u = {k: n for k, n in u["answers"].items() if not k.startswith("400 InvalidQuote the quote's PCK certificate chain does not check")}
check(u["answered"] > 0 and not bad_u and u["sent"] == u["answered"] and not u["client_errors"],
      f"untrusted during the flood: {u['answered']} answered, all refused by the pre-check {bad_u}")

by = up.get("tcb_by_fmspc", {})
made = {k: n for k, n in by.items() if k.startswith("f1")}
check(0 < sum(made.values()) <= n_madeup and max(made.values()) == 1,
      f"upstream /tcb requests: {sum(made.values())} for {len(made)} made-up FMSPCs (at most one each, {n_madeup} distinct)")
check(set(by) <= set(made), f"no upstream request for any other FMSPC ({sorted(set(by) - set(made))})")
check(up.get("tcb_max_concurrent", 0) <= fetchers, f"upstream requests at once: at most {up.get('tcb_max_concurrent')} <= {fetchers}")
mv = probe["metrics"]["max_values"]
check(mv.get("avowd_upstream_fetches_pending", 99) <= max_pending and mv.get("avowd_upstream_fetches_in_flight", 99) <= fetchers,
      f"pending platforms at most {mv.get('avowd_upstream_fetches_pending')} <= {max_pending}, fetches in flight at most {mv.get('avowd_upstream_fetches_in_flight')} <= {fetchers}")
g = lambda k: int(float(metrics.get(k, "-1")))
hits, store = g('avowd_collateral_cache_total{result="hit"}'), g('avowd_collateral_cache_total{result="store"}')
check(hits + store == l["answered"] + 1,
      f"collateral lookups that found something: {hits} hits + {store} store loads = the {l['answered'] + 1} legitimate attestations (none for untrusted chains)")
check(g("avowd_collateral_store_errors_total") == 0, "no store error (the untrusted row was never read)")
reused, refused = g('avowd_collateral_cache_total{result="failure"}'), g('avowd_collateral_cache_total{result="busy"}')
check(reused > 0 and refused == n503,
      f"remembered failures answered {reused} requests; {refused} refused as busy, the 503s counted above")
check(g("avowd_upstream_fetches_pending") == 0 and g("avowd_upstream_fetches_in_flight") == 0,
      "nothing pending or in flight after the flood")
sys.exit(1 if fails else 0)
PY
ok "collateral flood: /health and legitimate attestations unaffected, upstream requests bounded"

# ---- (c) an idle service: parked requests are woken -----------------------------------
sleep 0.3
$FLOOD load --url "$E" --seconds 0.01 --conns 1 --timeout 10 r1.json >idle1.json || fail "idle: one parked request"
$FLOOD load --url "$E" --seconds 0.01 --conns 3 --timeout 10 r2.json r3.json r4.json >idle3.json || fail "idle: three parked requests"
python3 - idle1.json idle3.json "$DELAY" <<'PY' || fail "parked requests on an idle service (see above)"
import json, sys
delay = float(sys.argv[3])
for path, n in ((sys.argv[1], 1), (sys.argv[2], 3)):
    f = json.load(open(path))["flood"]
    keys = list(f["answers"])
    assert f["answered"] == n and f["sent"] == n and not f["client_errors"], f
    assert all("is not cached and the upstream" in k for k in keys), keys
    # parked for one upstream answer (two fetchers: the third waits for a slot)
    assert delay * 1000 * 0.9 <= f["ms"]["max"] < delay * 1000 * (1 if n <= 2 else 2) + 1500, f["ms"]
    print(f"ok: {n} parked request(s) on an idle service answered in {f['ms']['min']}..{f['ms']['max']} ms")
PY
s=$(upstream_stats)
for f in f20000000001 f20000000002 f20000000003 f20000000004; do
    [[ $(json_get - "d['tcb_by_fmspc'].get('$f', 0)" <<<"$s") == 1 ]] || fail "idle: FMSPC $f not fetched exactly once: $s"
done
ok "idle service: parked requests answered when their fetch ends"

# ---- (e) the planted row, asked for by a trusted platform: read, refused, not used ----
http POST "$E/attest/SgxEnclave" -H 'Content-Type: application/json' --data-binary @t1.json
expect_error 400 "is not cached and the upstream" "a trusted platform whose stored row is under another root"
[[ $(metric avowd_collateral_store_errors_total) == 1 ]] || fail "the planted row was not read and refused"
[[ $(json_get - "d['tcb_by_fmspc'].get('e200000000aa', 0)" <<<"$(upstream_stats)") == 1 ]] ||
    fail "the upstream was not asked after the stored row did not check"
ok "a stored row that does not check against the trusted roots is refused (a store error), never used"
stop_avowd "$FLOOD_PID"

# ---- (d) SIGTERM while requests are parked on an upstream slower than the drain ----
python3 "$AVOW_SOURCE/tests/integration/pcs_server.py" --port-file up2.port --bundle qL/collateral.json \
    --ca processor --delay 2 2>up2.err &
UP2_PID=$!
extra_cleanup() { kill "$UP_PID" "$UP2_PID" 2>/dev/null || true; }
for _ in $(seq 100); do [[ -s up2.port ]] && break; sleep 0.05; done
P2=$(free_port)
start_avowd stop "$P2" --data data2 --trust-root L/root.pem --pcs-url "http://127.0.0.1:$(cat up2.port)/sgx/certification/v4" \
    --collateral-fetchers 2 --drain-time 1 --access-log off --audit-log off
STOP_PID=$LAST_PID
# m1 and m2 are fetched (2 s each), m3 waits in the queue
$FLOOD load --url "http://127.0.0.1:$P2" --seconds 0.01 --conns 3 --timeout 10 m1.json m2.json m3.json >stop.json &
LOAD=$!
for _ in $(seq 200); do # until all three are parked: two fetches under way, one queued
    [[ $(curl -fs "http://127.0.0.1:$P2/metrics" | awk '$1 == "avowd_upstream_fetches_pending" { print $2 }') == 3 ]] && break
    sleep 0.05
done
kill -TERM "$STOP_PID"
rc=0
wait "$STOP_PID" || rc=$?
wait "$LOAD" || fail "SIGTERM: load"
[[ $rc == 0 ]] || fail "SIGTERM with requests parked on a slow upstream: avowd exited with status $rc ($(tail -n 1 "$WORK/stop.err"))"
python3 - stop.json <<'PY' || fail "SIGTERM with parked requests (see above)"
import json, sys
f = json.load(open(sys.argv[1]))["flood"]
stopping = "503 CollateralUnavailable collateral unavailable: collateral for FMSPC # (processor CA, SGX): the service is stopping"
assert f["sent"] == 3 and f["answers"] == {stopping: 3} and f["retry_after"] == {"1": 3}, f
assert f["ms"]["max"] < 1500, f["ms"]  # at SIGTERM, not when the fetches end (2 s)
print(f"ok: 3 parked requests answered 503 + Retry-After: 1 at SIGTERM ({f['ms']['min']}..{f['ms']['max']} ms after they were sent)")
PY
ok "SIGTERM: requests parked on an upstream slower than --drain-time are answered, avowd exits 0"
echo "avowd_flood: all checks passed"
