#!/usr/bin/env bash
# Collateral-flood benchmark (not a test): what a flood of attestations from
# made-up platforms costs the legitimate ones. avowd runs with --pcs-url
# pointing at a slow local upstream (tests/integration/pcs_server.py
# --delay: every /tcb answer held UPSTREAM_DELAY s, 404 for FMSPCs it does
# not serve); the legitimate platform's collateral is cached. For each legit
# load in RATES, scripts/bench-avowd.sh runs twice, alternately: alone
# (baseline), then with a flood beside it (tests/integration/avowd_lib/flood.py
# on FLOOD_CONNECTIONS connections, each cycling its own share of
# FLOOD_PLATFORMS made-up platforms: PCK chains under the trusted simulated
# root, `avow sim init --pki`, with FMSPCs the upstream does not know; as fast
# as the answers come, or FLOOD_RATE/s in all). With more flood connections
# than --collateral-max-pending (64), the excess bounces on 503s as fast as it
# is answered. Both loads come from 127.0.0.1, so avowd runs with
# --per-ip-connections 0 here. bench-avowd.sh does the legit load (wrk,
# pacing and the coordinated-omission bound, RSS sampling, CPU split, the
# crypto ceiling); this script adds the flood, counts the upstream requests
# it caused, and prints one comparison table (the crypto-ceiling ratios
# first: throughput, and avowd's CPU per legit attestation against the crypto
# floor, the flood's work included; the flood client's own CPU, which this
# machine's two cores also pay) and one BENCH_FLOOD_JSON line. RATES may
# repeat a rate ("0 0 0") to alternate more pairs on a noisy machine.
#
#   scripts/bench-flood.sh [BUILD_DIR]          (default build/)
#   DURATION=30 WARMUP=5 RATES="0 1000" CONNECTIONS=64 THREADS=2 \
#   FLOOD_PLATFORMS=200 FLOOD_CONNECTIONS=96 FLOOD_RATE=0 UPSTREAM_DELAY=0.5 \
#   FLOOD_AVOWD_ARGS="--collateral-fetchers 4" scripts/bench-flood.sh
#
# RATES: 0 is saturation (throughput), N a paced legit load of N/s (latency).
# avowd's collateral knobs are its defaults unless FLOOD_AVOWD_ARGS sets them.
# Needs what bench-avowd.sh needs (wrk, openssl) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
AVOW=$BUILD/avow
DURATION=${DURATION:-30}
WARMUP=${WARMUP:-5}
RATES=${RATES:-0 1000}
FLOOD_PLATFORMS=${FLOOD_PLATFORMS:-200}
FLOOD_CONNECTIONS=${FLOOD_CONNECTIONS:-96}
FLOOD_RATE=${FLOOD_RATE:-0}
UPSTREAM_DELAY=${UPSTREAM_DELAY:-0.5}
for v in DURATION WARMUP FLOOD_PLATFORMS FLOOD_CONNECTIONS; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench-flood: $v must be a positive whole number (got '${!v}')" >&2; exit 2; }
done
[[ $FLOOD_RATE =~ ^[0-9]+$ ]] || { echo "bench-flood: FLOOD_RATE must be a whole number (0: unpaced)" >&2; exit 2; }
for r in $RATES; do [[ $r =~ ^[0-9]+$ ]] || { echo "bench-flood: RATES: '$r' is not a whole number" >&2; exit 2; }; done
[[ $UPSTREAM_DELAY =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "bench-flood: UPSTREAM_DELAY must be seconds" >&2; exit 2; }
[[ -x $AVOW && -x $BUILD/avowd ]] || { echo "bench-flood: build first (make): $BUILD/avowd missing" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/avowd-bench-flood.XXXXXX")
UP_PID=
cleanup() {
    [[ -n $UP_PID ]] && kill "$UP_PID" 2>/dev/null || true
    [[ ${KEEP:-0} == 1 ]] && echo "bench-flood: files in $W" >&2 || rm -rf "$W"
}
trap cleanup EXIT

# ---- evidence: the legitimate platform L and made-up platforms under its root ----
echo "bench-flood: making $FLOOD_PLATFORMS made-up platforms..." >&2
"$AVOW" sim init "$W/L" >/dev/null
"$AVOW" sim quote --platform "$W/L" --out "$W/qL" >/dev/null
export AVOW W
seq "$FLOOD_PLATFORMS" | xargs -P "$(nproc)" -I{} bash -c '
    f=$(printf "f1%010x" {})
    "$AVOW" sim init "$W/m{}" --pki "$W/L" --fmspc "$f" >/dev/null &&
        "$AVOW" sim quote --platform "$W/m{}" --out "$W/qm{}" >/dev/null'
python3 - "$W" "$FLOOD_PLATFORMS" <<'PY'
import base64, json, sys
w, n = sys.argv[1], int(sys.argv[2])
for i in range(1, n + 1):
    q = base64.urlsafe_b64encode(open(f"{w}/qm{i}/quote.bin", "rb").read()).decode().rstrip("=")
    open(f"{w}/m{i}.json", "w").write(json.dumps({"quote": q}))
PY

# ---- the slow upstream --------------------------------------------------------------
python3 tests/integration/pcs_server.py --port-file "$W/up.port" --bundle "$W/qL/collateral.json" \
    --ca processor --delay "$UPSTREAM_DELAY" 2>"$W/up.err" &
UP_PID=$!
for _ in $(seq 100); do [[ -s $W/up.port ]] && break; sleep 0.05; done
UP="http://127.0.0.1:$(cat "$W/up.port")"
tcb_count() { curl -fs "$UP/_stats" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("/tcb", 0))'; }

# ---- runs: per legit rate, baseline then flood ------------------------------------
FLOOD_CMD="python3 tests/integration/avowd_lib/flood.py load --url \"\$BENCH_URL\" --seconds \"\$BENCH_SECONDS\" \
--conns $FLOOD_CONNECTIONS --stride $FLOOD_CONNECTIONS --rate $FLOOD_RATE --timeout 60 $W/m*.json"
: >"$W/runs.jsonl"
for rate in $RATES; do
    for run in baseline flood; do
        beside=
        [[ $run == flood ]] && beside="$FLOOD_CMD >$W/flood-$rate.json"
        echo "bench-flood: legit $( ((rate)) && echo "paced at $rate/s" || echo saturation), $run, ${DURATION}s..." >&2
        before=$(tcb_count)
        PLATFORM="$W/L" RATE=$rate DURATION=$DURATION WARMUP=$WARMUP BESIDE=$beside \
            AVOWD_ARGS="--pcs-url $UP/sgx/certification/v4 --per-ip-connections 0 ${FLOOD_AVOWD_ARGS:-}" \
            scripts/bench-avowd.sh "$BUILD" | tee "$W/bench-$rate-$run.txt" | grep -v '^BENCH_JSON' >&2
        after=$(tcb_count)
        python3 - "$W" "$rate" "$run" "$((after - before))" <<'PY' >>"$W/runs.jsonl"
import json, sys
w, rate, run, upstream = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
b = next(json.loads(l.split(" ", 1)[1]) for l in open(f"{w}/bench-{rate}-{run}.txt") if l.startswith("BENCH_JSON "))
f = json.load(open(f"{w}/flood-{rate}.json"))["flood"] if run == "flood" else None
print(json.dumps({"rate": rate, "run": run, "bench": b, "flood": f, "upstream_tcb": upstream}))
PY
    done
done

# ---- the comparison ------------------------------------------------------------------
python3 - "$W/runs.jsonl" "$FLOOD_PLATFORMS" "$FLOOD_CONNECTIONS" "$FLOOD_RATE" "$UPSTREAM_DELAY" "$DURATION" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
nplat, fconns, frate, delay, duration = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
print(f"\ncollateral flood: {nplat} made-up platforms on {fconns} connections "
      f"({'as fast as answered' if not frate else f'{frate}/s'}), upstream /tcb held {delay} s, {duration} s per run")
print("legit load  | run      | ceiling ratio | per core used | attestations/s | p50 ms | p99 ms | p99 bound | legit non-2xx | flood answered (400 / 503 / other), unanswered | upstream /tcb | avowd cores | flood client cores")
for r in runs:
    b, f = r["bench"], r["flood"]
    load = "saturation" if not r["rate"] else f"{r['rate']}/s"
    bound = (b.get("pacing") or {}).get("p99_bound_ms")
    if f:
        n400 = sum(n for k, n in f["answers"].items() if k.startswith("400 "))
        n503 = sum(n for k, n in f["answers"].items() if k.startswith("503 "))
        other = f["answered"] - n400 - n503
        fl = f"{f['answered']} ({n400} / {n503} / {other}), {f['unanswered']}"
    else:
        fl = "-"
    fcpu = f"{f['cpu_s'] / b['seconds']:.2f}" if f else "-"
    print(f"{load:11} | {r['run']:8} | {b['ceiling_ratio']:.3f} of {b['crypto_ceiling_per_s']:.0f} | {b['cpu_ceiling_ratio']:13.3f} | {b['rps']:14.0f} | "
          f"{b['p50_ms']:6.2f} | {b['p99_ms']:6.2f} | {('<= %.2f' % bound) if bound else '-':9} | {b['non2xx'] + b['socket_errors']:13} | "
          f"{fl:46} | {r['upstream_tcb']:13} | {b['avowd_cpu_s'] / b['seconds']:11.2f} | {fcpu}")
print("BENCH_FLOOD_JSON " + json.dumps(runs))
PY
