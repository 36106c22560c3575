#!/usr/bin/env bash
# Every `avow` command and subcommand answers --help and -h (stdout, exit 0:
# usage line, its positional arguments, one line per option it accepts, at
# most 80 columns), refuses an unknown option, a missing value and a value
# given to a flag (exit 2, a one-line error naming the option, then the
# usage, on stderr), and never exits 2 without saying why. The commands,
# their options and whether each takes a value are read from the option
# tables in src/cli/*.c (cli/opt.h), so a new command or option is covered
# without editing this test; the options that docs/design.md promises to
# outside checks are listed here too, so that dropping one fails. Also the
# parsing rules of cli/opt.h: `--opt=value`, options after positionals,
# `--`, `-` for stdin, no abbreviations.
set -uo pipefail
: "${AVOW_BIN:?}" "${AVOW_SOURCE:?}" "${AVOW_VECTORS:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fails=0
fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}
run() { # args...: runs avow, output in out/err, exit code in rc
    "$AVOW_BIN" "$@" >out 2>err
    rc=$?
    grep -q 'Sanitizer' err && fail "avow $*: $(grep -m1 Sanitizer err)"
}

# ---- the command tree, from the source
python3 - "$AVOW_SOURCE" >tree.tsv <<'EOF' || { echo "FAIL: cannot read src/cli" >&2; exit 1; }
import glob, re, sys
for f in sorted(glob.glob(sys.argv[1] + "/src/cli/*.c")):
    s = open(f).read()
    tables = {m.group(1): re.findall(r'\{\s*O_\w+,\s*"([a-z0-9-]+)",\s*(NULL|")', m.group(2))
              for m in re.finditer(r'static const cli_option (\w+)\[\] = \{(.*?)\n\};', s, re.S)}
    args = {m.group(1): len(re.findall(r'\{\s*"', m.group(2)))
            for m in re.finditer(r'static const cli_positional (\w+)\[\] = \{(.*?)\n\};', s, re.S)}
    for m in re.finditer(r'static const cli_command \w+ = \{(.*?)\n\};', s, re.S):
        body = m.group(1)
        path = re.search(r'\.path = "([^"]+)"', body).group(1)
        o = re.search(r'\.opts = \{([^}]*)\}', body)
        a = re.search(r'\.args = (\w+)', body)
        opts = [n + ("=" if v == '"' else "") for t in (o.group(1).split(",") if o else [])
                for n, v in tables[t.strip()]]
        print("cmd", path, args[a.group(1)] if a else 0, " ".join(opts), sep="\t")
    for m in re.finditer(r'cli_subcommand \w+\[\] = \{(.*?)\n\s*\};.*?cli_group \w+ = \{\s*"([^"]+)"',
                         s, re.S):
        print("group", m.group(2), " ".join(re.findall(r'\{\s*"([a-z-]+)",', m.group(1))), sep="\t")
EOF
n_cmd=$(grep -c '^cmd' tree.tsv)
n_group=$(grep -c '^group' tree.tsv)
# today: 21 commands in 7 groups under `avow`; fewer means the tables were not read
((n_cmd >= 21 && n_group >= 8)) || fail "read $n_cmd commands and $n_group groups from src/cli"

# ---- each command
while IFS=$'\t' read -r kind path nargs opts; do
    [[ $kind == cmd ]] || continue
    read -ra words <<<"${path#avow }"
    run "${words[@]}" --help
    [[ $rc == 0 && -s out && ! -s err ]] || fail "$path --help: exit $rc, stderr: $(head -c 300 err)"
    head -n1 out | grep -q "^usage: $path" || fail "$path --help: no usage line: $(head -n1 out)"
    cp out help
    for o in $opts; do
        name=${o%=}
        grep -qE -- "^  --$name( |$)" help || fail "$path --help does not list --$name"
    done
    grep -qE -- "^  -h, --help " help || fail "$path --help does not list -h, --help"
    if ((nargs > 0)); then
        grep -q '^arguments:' help || fail "$path --help does not describe its arguments"
    fi
    awk 'length($0) > 80 { exit 1 }' help || fail "$path --help: a line is wider than 80 columns"
    run "${words[@]}" -h
    [[ $rc == 0 ]] && cmp -s out help || fail "$path -h differs from --help (exit $rc)"

    # unknown option, in both spellings
    for bad in --no-such-option --no-such-option=1; do
        run "${words[@]}" "$bad"
        [[ $rc == 2 && ! -s out ]] || fail "$path $bad: exit $rc, want 2 and no output"
        head -n1 err | grep -qF "$path: unknown option '--no-such-option'" ||
            fail "$path $bad: first line does not name the option: $(head -n1 err)"
        grep -q "^usage: $path" err || fail "$path $bad: no usage on stderr"
    done
    # every option: a missing value, a value given to a flag; and whatever the
    # command then says of its other arguments, exit 2 always comes with a reason
    for o in $opts; do
        name=${o%=}
        if [[ $o == *= ]]; then
            run "${words[@]}" "--$name"
            [[ $rc == 2 ]] || fail "$path --$name without its value: exit $rc, want 2"
            head -n1 err | grep -qF "option '--$name' needs a value" ||
                fail "$path --$name without its value: $(head -n1 err)"
            run "${words[@]}" "--$name" x
        else
            run "${words[@]}" "--$name=1"
            [[ $rc == 2 ]] || fail "$path --$name=1: exit $rc, want 2"
            head -n1 err | grep -qF "option '--$name' takes no value" ||
                fail "$path --$name=1: $(head -n1 err)"
            run "${words[@]}" "--$name"
        fi
        grep -q "unknown option" err && fail "$path: --$name listed in --help but refused"
        [[ $rc == 2 && ! -s err ]] && fail "$path --$name: exit 2 without a message"
        ((rc >= 128)) && fail "$path --$name: crashed (signal $((rc - 128)))"
    done
    # one positional argument more than it takes
    if [[ $nargs == 0 ]]; then
        run "${words[@]}" extra-arg
        [[ $rc == 2 ]] && grep -qF "unexpected argument 'extra-arg'" err ||
            fail "$path extra-arg: exit $rc: $(head -n1 err)"
    fi
done <tree.tsv

# ---- each group: `avow`, `avow quote`, ...
while IFS=$'\t' read -r kind path subs _; do
    [[ $kind == group ]] || continue
    read -ra words <<<"${path#avow}"
    for h in --help -h help; do
        run "${words[@]}" "$h"
        [[ $rc == 0 && ! -s err ]] || fail "$path $h: exit $rc"
        for s in $subs; do
            grep -qE "^  $s " out || fail "$path $h does not list $s"
        done
    done
    run "${words[@]}" --no-such-option
    [[ $rc == 2 ]] && grep -qF "unknown option '--no-such-option'" err || fail "$path --no-such-option: exit $rc"
    run "${words[@]}" no-such-command
    [[ $rc == 2 ]] && grep -qF "'no-such-command'" err && grep -q "^  ${subs%% *} " err ||
        fail "$path no-such-command: exit $rc, or no list of what there is"
    run "${words[@]}"
    [[ $rc == 2 && -s err ]] || fail "$path without a subcommand: exit $rc"
done <tree.tsv
run --help
for c in quote bench enclave sim collateral attest policy key; do
    grep -qE "^  $c " out || fail "avow --help does not list $c"
done

# ---- the options docs/design.md promises outside checks ("Interfaces that
# outside checks rely on"); read from --help, which lists what is parsed
promised() { # path options...
    local path=$1
    shift
    read -ra words <<<"${path#avow }"
    "$AVOW_BIN" "${words[@]}" --help >promised.txt
    for o in "$@"; do
        grep -qE -- "^  --$o( |$)" promised.txt || fail "$path lost --$o (docs/design.md)"
    done
}
promised "avow quote verify" collateral at root allow-missing-crl encoding json
promised "avow quote show" json encoding allow-trailing
promised "avow bench verify" collateral at seconds
promised "avow enclave show" json
promised "avow sim quote" platform out report-data debug tcb-status qe-status revoke-pck version \
    tee td15 module-status module-mismatch tee-tcb-svn mrtd
promised "avow collateral import" data root
promised "avow policy eval" quote collateral at root runtime-data json
promised "avow policy sign" key cert unsigned iat
promised "avow policy sign-cert-request" key cert iat
promised "avow key rotate" data
promised "avow attest" url runtime-data

# ---- the parsing rules (cli/opt.h)
P1=$AVOW_VECTORS/dcap/P1-phala-sgx-v3
"$AVOW_BIN" quote verify "$P1/quote.bin" --collateral "$P1/collateral.json" --at 1751624924 --json >a.json ||
    fail "quote verify, options after QUOTE"
"$AVOW_BIN" quote verify --json --at=1751624924 --collateral="$P1/collateral.json" "$P1/quote.bin" >b.json ||
    fail "quote verify, --opt=value before QUOTE"
cmp -s a.json b.json || fail "the same options in another order and spelling give another result"
"$AVOW_BIN" quote show --json - <"$P1/quote.bin" >c.json || fail "quote show - (stdin)"
ln -s "$P1/quote.bin" ./--json
"$AVOW_BIN" quote show --json -- --json >d.json || fail "quote show -- --json (a file named --json)"
cmp -s c.json d.json || fail "quote show: stdin and a file after -- differ"
run quote verify one two --help
[[ $rc == 0 ]] && grep -q '^usage: avow quote verify' out || fail "--help after a surplus argument: exit $rc"
run quote verify "$P1/quote.bin" --coll "$P1/collateral.json" --at 1751624924
[[ $rc == 2 ]] && grep -qF "unknown option '--coll'" err || fail "an abbreviation was accepted (exit $rc)"

((fails == 0)) || { echo "$fails failure(s)" >&2; exit 1; }
echo "cli_help: $n_cmd commands in $n_group groups: help, unknown options, missing values ok"
