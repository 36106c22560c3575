#!/usr/bin/env bash
# tests/vectors/data holds real evidence exactly as published: every file is
# listed in SHA256SUMS with the digest it had when copied in, and every listed
# file is present. Fails on an edited, added-but-unlisted or missing file.
set -euo pipefail
: "${AVOW_VECTORS:?AVOW_VECTORS is not set}"
cd "$AVOW_VECTORS"
fail() { echo "FAIL: $*" >&2; exit 1; }

[[ -s SHA256SUMS ]] || fail "no SHA256SUMS in $AVOW_VECTORS"
sha256sum --quiet --strict -c SHA256SUMS || fail "a vector's bytes differ from SHA256SUMS"
listed=$(awk '{print $2}' SHA256SUMS | LC_ALL=C sort)
present=$(find . -type f ! -name README.md ! -name SHA256SUMS ! -name .gitattributes |
    sed 's#^\./##' | LC_ALL=C sort)
extra=$(LC_ALL=C comm -13 <(echo "$listed") <(echo "$present"))
[[ -z $extra ]] || fail "files not in SHA256SUMS (add them with their source in README.md): $extra"
n=$(echo "$listed" | wc -l)
(( n >= 75 )) || fail "only $n files listed"
# The manifest checks the bytes it lists; make sure it does list the evidence
# the tests read, so a truncated manifest cannot pass.
for f in dcap/P1-phala-sgx-v3/quote.bin roots/intel_sgx_root_ca.pem sgx/enarx-test-enclave/encl.bin; do
    grep -q "  $f\$" SHA256SUMS || fail "$f is not in SHA256SUMS"
done
echo "ok: $n vector files match SHA256SUMS"
