#!/usr/bin/env bash
# `avow enclave` and `avow sim` end to end: known-answer vectors through the
# CLI, sign -> EINIT -> quote -> verify with the signed identity, local
# attestation through `avow sim report`, and bad input (malformed SIGSTRUCT,
# a layout that overflows SIZE, an unknown status name, ...) giving a clear
# error and exit code 2, never a crash.
set -u
AVOW="${AVOW_BIN:?AVOW_BIN not set}"
V="${AVOW_VECTORS:?AVOW_VECTORS not set}/sgx"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib/expect.bash"
jq_() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); [d:=d[k] if not k.isdigit() else d[int(k)] for k in sys.argv[2].split('.')]; print(str(d).lower() if isinstance(d,bool) else d)" "$1" "$2"; }

MRE=b999536238fcf4e9d360ef6cd3e0c20ef8a684c7b93f74a9c4a4c6d517d61fc0
MRS=2f9f8fd4fe12d77232f1d87571ca8252ca27714efe7705e46222cffd5a22e8c4

# ---- known answers through the CLI
expect_rc 0 "enclave show --json" "$AVOW" enclave show "$V/enarx-test-enclave/encl.ss" --json
cp "$T/out" "$T/show.json"
[ "$(jq_ "$T/show.json" mrsigner)" = "$MRS" ] || fail "show: mrsigner"
[ "$(jq_ "$T/show.json" enclave_hash)" = "$MRE" ] || fail "show: enclave_hash"
[ "$(jq_ "$T/show.json" signature_valid)" = true ] || fail "show: signature_valid"
printf 'size 0x8000\nssaframesize 1\npages 0 tcs\npages 1-5 rwx\n' >"$T/enarx.layout"
expect_rc 0 "measure --layout" "$AVOW" enclave measure "$V/enarx-test-enclave/encl.bin" --layout "$T/enarx.layout"
[ "$(cat "$T/out")" = "$MRE" ] || fail "measure enarx: $(cat "$T/out")"
expect_rc 0 "measure --sgxs" "$AVOW" enclave measure --sgxs "$V/sgxs-stream/report.sgxs"
[ "$(cat "$T/out")" = a06a560b26f5e397b2d7872fac66fe4b43bf4f507296ee048f110be6fb1a2290 ] || fail "measure sgxs"
# re-signing the enarx enclave with its key reproduces encl.ss byte for byte
expect_rc 0 "sign enarx" "$AVOW" enclave sign --key "$V/enarx-test-enclave/encl.pem" --out "$T/re.ss" \
    "$V/enarx-test-enclave/encl.bin" --layout "$T/enarx.layout" --attribute-mask 0 --xfrm-mask 0
cmp -s "$T/re.ss" "$V/enarx-test-enclave/encl.ss" || fail "sign: not byte-identical to encl.ss"

# ---- a tampered SIGSTRUCT: well-formed, signature invalid -> exit 1
python3 - "$V/enarx-test-enclave/encl.ss" "$T/tampered.ss" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[1026] ^= 1; open(sys.argv[2], 'wb').write(b)
PY
expect_rc 1 "show tampered" "$AVOW" enclave show "$T/tampered.ss" --json
[ "$(jq_ "$T/out" signature_valid)" = false ] || fail "tampered: signature_valid not false"

# ---- bad input: exit 2 with a message
head -c 1000 "$V/enarx-test-enclave/encl.ss" >"$T/short.ss"
expect_rc 2 "malformed SIGSTRUCT" "$AVOW" enclave show "$T/short.ss"
grep -q "1808" "$T/err" || fail "malformed SIGSTRUCT: message does not say the size"
printf 'size 0x4000\npages 0 tcs\npages 1-5 rwx\n' >"$T/small.layout"
expect_rc 2 "layout overflows SIZE" "$AVOW" enclave measure "$V/enarx-test-enclave/encl.bin" --layout "$T/small.layout"
grep -q "SIZE" "$T/err" || fail "overflow: message does not mention SIZE"
printf 'pages 0 banana\n' >"$T/bad.layout"
expect_rc 2 "bad layout" "$AVOW" enclave measure "$V/enarx-test-enclave/encl.bin" --layout "$T/bad.layout"
expect_rc 2 "truncated sgxs" "$AVOW" enclave measure --sgxs "$T/short.ss"
expect_rc 2 "sign with a P-256 key" "$AVOW" enclave sign --key /dev/null --out "$T/x.ss" --mrenclave "$MRE"
expect_rc 2 "unknown subcommand" "$AVOW" enclave frobnicate

expect_rc 0 "sim init" "$AVOW" sim init "$T/p"
expect_rc 2 "sim init twice" "$AVOW" sim init "$T/p"
expect_rc 2 "unknown status" "$AVOW" sim quote --platform "$T/p" --out "$T/o" --tcb-status Great
grep -qi "unknown status" "$T/err" || fail "unknown status: message"
expect_rc 2 "bad qe status" "$AVOW" sim quote --platform "$T/p" --out "$T/o" --qe-status SWHardeningNeeded
expect_rc 2 "bad version" "$AVOW" sim quote --platform "$T/p" --out "$T/o" --version 5
expect_rc 2 "report data too long" "$AVOW" sim quote --platform "$T/p" --out "$T/o" --report-data "$(printf '00%.0s' $(seq 65))"
expect_rc 2 "bad hex" "$AVOW" sim quote --platform "$T/p" --out "$T/o" --mrenclave zz --mrsigner "$MRS"
expect_rc 2 "no platform" "$AVOW" sim quote --platform "$T/nope" --out "$T/o"
expect_rc 2 "malformed SIGSTRUCT to sim" "$AVOW" sim quote --platform "$T/p" --out "$T/o" --enclave "$T/short.ss"
expect_rc 2 "tampered SIGSTRUCT fails EINIT" "$AVOW" sim quote --platform "$T/p" --out "$T/o" --enclave "$T/tampered.ss"
grep -q "EINIT" "$T/err" || fail "tampered EINIT: message"

# ---- sign a fresh enclave, EINIT it in the model, quote, verify the identity
expect_rc 0 "keygen" "$AVOW" enclave keygen --out "$T/k.pem"
[ "$(stat -c %a "$T/k.pem")" = 600 ] || fail "keygen: key file mode"
expect_rc 0 "sign fresh" "$AVOW" enclave sign --key "$T/k.pem" --out "$T/app.ss" \
    --mrenclave 1111111111111111111111111111111111111111111111111111111111111111 --isv-prod-id 4 --isv-svn 2
expect_rc 0 "show fresh" "$AVOW" enclave show "$T/app.ss" --json
APP_MRS="$(jq_ "$T/out" mrsigner)"
expect_rc 0 "quote --enclave" "$AVOW" sim quote --platform "$T/p" --out "$T/qa" --enclave "$T/app.ss" --version 4
if "$AVOW" quote verify --help >/dev/null 2>&1; then
    expect_rc 0 "verify --enclave quote" "$AVOW" quote verify "$T/qa/quote.bin" --collateral "$T/qa/collateral.json" \
        --root "$T/qa/root.pem" --json
    cp "$T/out" "$T/qa.json"
    [ "$(jq_ "$T/qa.json" report.mrsigner)" = "$APP_MRS" ] || fail "quote mrsigner"
    [ "$(jq_ "$T/qa.json" report.mrenclave)" = 1111111111111111111111111111111111111111111111111111111111111111 ] || fail "quote mrenclave"
    [ "$(jq_ "$T/qa.json" report.isv_prod_id)" = 4 ] || fail "quote isv_prod_id"
    expect_rc 0 "quote --mrenclave" "$AVOW" sim quote --platform "$T/p" --out "$T/qm" --mrenclave "$MRE" --mrsigner "$MRS"
    expect_rc 0 "verify --mrenclave quote" "$AVOW" quote verify "$T/qm/quote.bin" --collateral "$T/qm/collateral.json" \
        --root "$T/qm/root.pem" --json
    [ "$(jq_ "$T/out" report.mrenclave)" = "$MRE" ] || fail "quote --mrenclave value"
fi

# ---- local attestation through the CLI
expect_rc 0 "report A->B" "$AVOW" sim report --platform "$T/p" --enclave "$T/app.ss" \
    --target-mrenclave "$MRE" --target-mrsigner "$MRS" --report-data 0102 --out "$T/r.bin"
[ "$(stat -c %s "$T/r.bin")" = 432 ] || fail "report size"
expect_rc 0 "B checks" "$AVOW" sim report --platform "$T/p" --check "$T/r.bin" --mrenclave "$MRE" --mrsigner "$MRS"
expect_rc 1 "A checks its own report for B" "$AVOW" sim report --platform "$T/p" --check "$T/r.bin" --enclave "$T/app.ss"
"$AVOW" sim init "$T/p2" >/dev/null
expect_rc 1 "B on another platform" "$AVOW" sim report --platform "$T/p2" --check "$T/r.bin" --mrenclave "$MRE" --mrsigner "$MRS"
python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[320]^=1; open(sys.argv[2],'wb').write(b)" "$T/r.bin" "$T/rb.bin"
expect_rc 1 "tampered body" "$AVOW" sim report --platform "$T/p" --check "$T/rb.bin" --mrenclave "$MRE" --mrsigner "$MRS"
python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[431]^=1; open(sys.argv[2],'wb').write(b)" "$T/r.bin" "$T/rm.bin"
expect_rc 1 "tampered MAC" "$AVOW" sim report --platform "$T/p" --check "$T/rm.bin" --mrenclave "$MRE" --mrsigner "$MRS"
expect_rc 2 "short report" "$AVOW" sim report --platform "$T/p" --check "$T/short.ss" --mrenclave "$MRE" --mrsigner "$MRS"
# ---- many platforms under one root: --pki shares p's PKI, --fmspc is chosen
expect_rc 0 "sim init --pki" "$AVOW" sim init "$T/m" --pki "$T/p" --fmspc 0a0b0c0d0e0f
grep -q "FMSPC 0a0b0c0d0e0f" "$T/out" || fail "--pki: FMSPC not taken: $(cat "$T/out")"
cmp -s "$T/p/root.pem" "$T/m/root.pem" || fail "--pki: the root is not p's"
cmp -s "$T/p/pckca.pem" "$T/m/pckca.pem" || fail "--pki: the PCK CA is not p's"
cmp -s "$T/p/pck.pem" "$T/m/pck.pem" && fail "--pki: the PCK certificate is p's, not its own"
expect_rc 0 "quote under the shared root" "$AVOW" sim quote --platform "$T/m" --out "$T/qs"
if "$AVOW" quote verify --help >/dev/null 2>&1; then
    expect_rc 0 "verify with p's root" "$AVOW" quote verify "$T/qs/quote.bin" --collateral "$T/qs/collateral.json" \
        --root "$T/p/root.pem" --json
    [ "$(jq_ "$T/out" platform.fmspc)" = 0a0b0c0d0e0f ] || fail "--pki quote: fmspc $(jq_ "$T/out" platform.fmspc)"
fi
expect_rc 2 "--pki with another CA kind" "$AVOW" sim init "$T/m2" --pki "$T/p" --ca platform
grep -q "the shared PKI has a processor CA" "$T/err" || fail "--pki --ca platform: message: $(cat "$T/err")"
expect_rc 2 "--pki of no platform" "$AVOW" sim init "$T/m3" --pki "$T/nope"
expect_rc 0 "sim info" "$AVOW" sim info --platform "$T/p"
[ "$(jq_ "$T/out" root)" = "Avow Simulated SGX Root CA" ] || fail "info root name"

finish sim_cli
