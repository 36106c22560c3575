#!/usr/bin/env bash
# `avow quote show` on real quotes given raw, hex and base64: JSON fields,
# the text output, and exit 2 with a field+offset error on broken input.
set -euo pipefail
: "${AVOW_BIN:?}" "${AVOW_VECTORS:?}"
V=$AVOW_VECTORS
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }


P1=$V/dcap/P1-phala-sgx-v3/quote.bin
P2=$V/dcap/P2-phala-tdx-v4/quote.bin
EPID=$V/dcap/O1-oasis-sgx-v3-nocrl/pcs-original/quote_v3_ecdsa_p256_eppid.bin

python3 -c "
import sys, base64
q, w = open(sys.argv[1], 'rb').read(), sys.argv[2]
open(w + '/p1.hex', 'w').write(q.hex() + '\n')
open(w + '/p1.b64', 'w').write(base64.b64encode(q).decode() + '\n')
open(w + '/p1.b64url', 'w').write(base64.urlsafe_b64encode(q).decode().rstrip('='))
" "$P1" "$work"

# the same quote in every encoding gives the same JSON
"$AVOW_BIN" quote show "$P1" --json >"$work/raw.json"
"$AVOW_BIN" quote show "$work/p1.hex" --json >"$work/hex.json"
"$AVOW_BIN" quote show "$work/p1.b64" --json >"$work/b64.json"
"$AVOW_BIN" quote show "$work/p1.b64url" --json --encoding base64url >"$work/b64url.json"
"$AVOW_BIN" quote show "$work/p1.hex" --json --encoding hex >"$work/hex2.json"
for f in hex b64 b64url hex2; do
  cmp -s "$work/raw.json" "$work/$f.json" || fail "JSON from $f differs from raw"
done

# jcheck FILE PYTHON: runs assertions over the JSON in FILE (as `j`), one
# python3 start per file (they are slow on a busy machine)
jcheck() { python3 -c "import json,sys; j=json.load(open(sys.argv[1]))
$2" "$1" || fail "JSON checks on $1"; }

jcheck "$work/raw.json" "
h, r, a, c = j['header'], j['report'], j['auth_data'], j['cert_data']
assert h['version'] == 3 and h['tee'] == 'SGX' and h['att_key_type'] == 2, h
assert h['qe_vendor_id'] == '939a7233f79c4ca9940a0db3957f0607', h
assert r['mrenclave'] == '33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb', r
assert r['mrsigner'] == '815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6', r
assert bytes.fromhex(r['report_data']).startswith(b'Hello, world!'), r
assert r['flag_names'] == ['INIT', 'MODE64BIT'] and r['debug'] is False, r
assert a['qe_report']['mrsigner'] == '8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff', a
assert a['qe_auth_data_size'] == 32 and a['size'] == 4164 and a['offset'] == 436, a
assert c['type'] == 5 and c['size'] == 3548 and c['offset'] == 1052, c
assert len(c['certificates']) == 3, c
assert 'CN=Intel SGX PCK Certificate' in c['certificates'][0]['subject'], c
assert 'CN=Intel SGX Root CA' in c['certificates'][2]['subject'], c
p = c['pck']
assert p['fmspc'] == '00a067110000' and p['pcesvn'] == 13 and p['pce_id'] == '0000', p
assert p['comp_svn'] == [11, 11, 2, 2, 255, 1] + [0] * 10, p
assert p['ppid'] == 'd04ec06d4e6d92dc90d0ad3cf5ee2ddf' and p['ca'] == 'processor', p
assert p['sgx_type'] == 0 and p['cpusvn'] == '0b0b0202ff0100000000000000000000', p
assert j['trailing_len'] == 0 and j['end'] == 4600 and j['size'] == 4600, j
"

# text output names the sections and the values
"$AVOW_BIN" quote show "$P1" >"$work/p1.txt"
for s in "mrenclave *33d8736d" "report_data *48656c6c6f2c" "fmspc *00a067110000" \
         "CN=Intel SGX PCK Processor CA" "qe_auth_data_size *32" "flag_names *INIT, MODE64BIT"; do
  grep -q "$s" "$work/p1.txt" || fail "text output lacks '$s'"
done

# TDX v4 with 70 trailing zero bytes
"$AVOW_BIN" quote show "$P2" --json >"$work/p2.json"
jcheck "$work/p2.json" "
assert j['header']['version'] == 4 and j['header']['tee'] == 'TDX', j['header']
assert j['td_report']['mr_td'].startswith('91eb2b44d141d4ec'), j['td_report']
c = j['cert_data']
assert c['outer_type'] == 6 and c['outer_size'] == 4166 and c['type'] == 5, c
assert c['offset'] == 1258 and c['size'] == 3678, c
assert j['auth_data']['qe_report']['mrsigner'].startswith('dc9e2a7c'), j['auth_data']
assert j['trailing_len'] == 70 and j['end'] == 4936 and j['trailing_zero'] is True, j
"

# certification data type 3 (encrypted PPID)
"$AVOW_BIN" quote show "$EPID" --json >"$work/epid.json"
jcheck "$work/epid.json" "
c = j['cert_data']
assert c['type'] == 3 and c['type_name'] == 'ppid_rsa3072_encrypted' and c['size'] == 404, c
assert c['pck_id']['pcesvn'] == 12 and c['pck_id']['cpusvn'] == '05050c0cffff01000000000000000000', c
assert len(c['pck_id']['encrypted_ppid']) == 768, c
"

# broken input: exit 2, "avow: PATH: quote.<field> at offset N: ..."
head -c 1000 "$P1" >"$work/trunc.bin"
set +e
"$AVOW_BIN" quote show "$work/trunc.bin" >"$work/out" 2>"$work/err"
rc=$?
set -e
[[ $rc == 2 ]] || fail "truncated quote: exit $rc, want 2"
grep -Eq "^avow: $work/trunc.bin: quote\.[a-z_]+ at offset [0-9]+: " "$work/err" || fail "error text: $(cat "$work/err")"
[[ ! -s $work/out ]] || fail "output on error"

# a truncated hex quote fails the same way
head -c 2000 "$work/p1.hex" >"$work/trunc.hex"
set +e
"$AVOW_BIN" quote show "$work/trunc.hex" 2>"$work/err"
rc=$?
set -e
[[ $rc == 2 ]] || fail "truncated hex: exit $rc"
grep -q "quote.auth_data_size at offset 432" "$work/err" || fail "hex error text: $(cat "$work/err")"

# non-zero trailing bytes: accepted as everywhere (docs/security.md), shown as
# trailing_len; the fields are those of the quote without them
cp "$P1" "$work/trail.bin"
printf 'x\0y' >>"$work/trail.bin"
"$AVOW_BIN" quote show "$work/trail.bin" --json >"$work/t.json"
jcheck "$work/t.json" "assert j['trailing_len'] == 3 and j['trailing_zero'] is False and j['end'] == 4600, j"
"$AVOW_BIN" quote show "$P1" --json >"$work/p1.json"
python3 - "$work/t.json" "$work/p1.json" <<'PY' || fail "trailing bytes changed the parsed fields"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for d in (a, b):
    for k in ("trailing_len", "trailing_zero", "size"): d.pop(k, None)
assert a == b
PY
"$AVOW_BIN" quote show "$work/trail.bin" --allow-trailing --json >/dev/null || fail "--allow-trailing (kept, no effect)"

# bad arguments
set +e
"$AVOW_BIN" quote show 2>/dev/null; [[ $? == 2 ]] || fail "no argument"
"$AVOW_BIN" quote show "$P1" --encoding nope 2>/dev/null; [[ $? == 2 ]] || fail "bad encoding"
"$AVOW_BIN" quote show "$work/missing.bin" 2>/dev/null; [[ $? == 2 ]] || fail "missing file"
set -e
echo "quote_show: ok"
