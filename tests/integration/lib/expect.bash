# Checks shared by the CLI tests, sourced after they set T (a scratch folder):
#   fail MESSAGE                 counts a failure and says it
#   expect_rc RC WHAT CMD...     runs CMD (stdout to $T/out, stderr to $T/err)
#                                and fails unless it exits RC; exit 2 must say
#                                why on stderr; a signal is a crash
#   finish NAME                  exits 1 with the count if anything failed
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_rc() {
    local want="$1" what="$2"
    shift 2
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    [ "$rc" = "$want" ] || { fail "$what: exit $rc, want $want"; cat "$T/err"; }
    if [ "$want" = 2 ] && [ ! -s "$T/err" ]; then fail "$what: no error message"; fi
    if [ "$rc" -ge 128 ]; then fail "$what: crashed (signal $((rc - 128)))"; fi
}
finish() {
    if [ "$fails" -ne 0 ]; then
        echo "$fails failure(s)"
        exit 1
    fi
    echo "$1: all passed"
}
