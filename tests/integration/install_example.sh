#!/usr/bin/env bash
# libavow as a library others link: `cmake --install` into a scratch prefix
# (what `make install PREFIX=DIR` runs) gives DIR/include/avow/*.h, the
# shared libavow.so.N (its soname, only avow_* symbols exported, needing
# only OpenSSL's libcrypto and jansson besides libc/libm) and avow.pc; the
# example program (examples/verify_quote.c) builds against it with
# pkg-config alone and verifies real Intel quotes (P1 SGX, P2 TDX) at their
# time, and a simulated one with the simulated root given.
set -euo pipefail
: "${AVOW_BUILD:?}" "${AVOW_SOURCE:?}" "${AVOW_VECTORS:?}" "${AVOW_BIN:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$AVOW_BUILD" --prefix "$T/prefix" >"$T/install.log" || { cat "$T/install.log"; fail "install"; }
P=$T/prefix
LIBDIR=$(dirname "$(find "$P" -name 'libavow.so.*.*' | head -1)")
[[ -n $LIBDIR ]] || fail "no libavow.so.N.N.N installed"
for h in verify collateral tcb quote attest policy token claims; do
    [[ -f $P/include/avow/$h.h ]] || fail "header avow/$h.h not installed"
done
for h in store sim pcs; do
    [[ ! -e $P/include/avow/$h.h ]] || fail "internal header avow/$h.h installed"
done
[[ -f $LIBDIR/pkgconfig/avow.pc ]] || fail "avow.pc not installed"
soname=$(readelf -d "$LIBDIR"/libavow.so | awk '/SONAME/ {print $NF}')
[[ $soname =~ ^\[libavow\.so\.[0-9]+\]$ ]] || fail "soname: $soname"
needed=$(readelf -d "$LIBDIR"/libavow.so | awk '/NEEDED/ {print $NF}' | tr -d '[]' | sort | tr '\n' ' ')
for lib in $needed; do
    case $lib in libcrypto.so.*|libjansson.so.*|libc.so.*|libm.so.*) ;; *) fail "libavow needs $lib ($needed)" ;; esac
done
exports=$(nm -D --defined-only "$LIBDIR"/libavow.so | awk '$2 != "A" {sub(/@.*/, "", $3); print $3}')
others=$(grep -v '^avow_' <<<"$exports" || true)
[[ -z $others ]] || fail "symbols other than avow_* exported: $(echo $others | head -c 300)"
for sym in avow_verifier_new avow_collateral_load avow_verify_quote avow_verify_result_init \
    avow_verify_result_free avow_tcb_status_name avow_attest; do
    grep -qx "$sym" <<<"$exports" || fail "$sym not exported"
done
echo "ok: installed headers, $soname (needs: $needed), avow.pc, only avow_* exported"

export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
CC=(cc)
if nm -D "$LIBDIR"/libavow.so | grep __asan_ >/dev/null; then # the sanitizer build of the suite
    CC=(clang -fsanitize=address,undefined)
fi
"${CC[@]}" -std=c11 -Wall -Werror "$AVOW_SOURCE/examples/verify_quote.c" $(pkg-config --cflags --libs avow) \
    -Wl,-rpath,"$LIBDIR" -o "$T/verify_quote" || fail "the example does not build against the installed library"
# (read whole first: under pipefail, grep -q leaving early would SIGPIPE ldd)
grep -qF "$LIBDIR/libavow.so" <<<"$(ldd "$T/verify_quote")" || fail "the example is not linked to the installed libavow"

run() { "$T/verify_quote" "$@" >"$T/out" 2>&1; echo $?; }
P1=$AVOW_VECTORS/dcap/P1-phala-sgx-v3
[[ $(run "$P1/quote.bin" "$P1/collateral.json" 1751624924) == 0 ]] || fail "P1: $(cat "$T/out")"
grep -q "^status: ConfigurationAndSWHardeningNeeded$" "$T/out" || fail "P1 status: $(cat "$T/out")"
P2=$AVOW_VECTORS/dcap/P2-phala-tdx-v4
[[ $(run "$P2/quote.bin" "$P2/collateral.json" 1751624191) == 0 ]] || fail "P2: $(cat "$T/out")"
grep -q "^status: UpToDate$" "$T/out" || fail "P2 status: $(cat "$T/out")"
[[ $(run "$P1/quote.bin" "$P1/collateral.json" 1900000000) == 1 ]] || fail "P1 in 2030 should fail"
"$AVOW_BIN" sim init "$T/plat" >/dev/null
"$AVOW_BIN" sim quote --platform "$T/plat" --out "$T/q" >/dev/null
[[ $(run "$T/q/quote.bin" "$T/q/collateral.json" "$(date +%s)") == 1 ]] || fail "simulated quote without its root accepted"
[[ $(run "$T/q/quote.bin" "$T/q/collateral.json" "$(date +%s)" "$T/q/root.pem") == 0 ]] ||
    fail "simulated quote with its root: $(cat "$T/out")"
echo "ok: examples/verify_quote.c built with pkg-config verifies P1 (SGX), P2 (TDX) and a simulated quote"
