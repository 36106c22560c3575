#!/usr/bin/env bash
# avowd's shape (src/server), checked on the source and the built objects:
#  - no file-static mutable state: every `static` variable is const (all
#    service state lives in its context, service.h);
#  - only http.c knows libmicrohttpd; no handler or the response module
#    includes http.h (handlers fill a response, http.c sends it);
#  - one header per module, no server.h;
#  - the include graph (files) and the call graph (object files: who calls a
#    function defined where, from `nm`) have no cycles.
set -euo pipefail
src=${AVOW_SOURCE:?}/src/server
objs=${AVOW_BUILD:?}/CMakeFiles/avow_service.dir/src/server
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

[[ ! -e $src/server.h ]] || fail "src/server/server.h is back: one header per module"
for c in "$src"/*.c; do
    m=$(basename "$c" .c)
    [[ $m == main ]] || [[ -f $src/$m.h ]] || fail "$m.c has no header $m.h"
done
ok "one header per module"

mhd=$(grep -l '#include <microhttpd.h>' "$src"/*.[ch] | xargs -n1 basename | tr '\n' ' ')
[[ $mhd == "http.c " ]] || fail "libmicrohttpd is included by: $mhd (only http.c may)"
bad=$(grep -l '#include "server/http.h"' "$src"/*.[ch] | xargs -n1 basename | grep -vx -e main.c -e http.c || true)
[[ -z $bad ]] || fail "http.h is included by $bad (handlers never call the HTTP layer)"
ok "only http.c knows libmicrohttpd; only main.c and http.c include http.h"

python3 - "$src" "$objs" <<'PY'
import glob, os, re, subprocess, sys
src, objs = sys.argv[1], sys.argv[2]

def die(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

# 1. static variables: const only (file scope and function scope)
for f in sorted(glob.glob(f"{src}/*.c")):
    text = re.sub(r"/\*.*?\*/", "", open(f).read(), flags=re.S)
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s.startswith("static ") or "const" in s.split("=")[0]:
            continue
        head = s.split("=")[0]
        if "(" in head and not re.search(r"\(\s*\*", head):  # a function
            continue
        die(f"{os.path.basename(f)}:{n}: mutable static state: {s}")
print("ok: no mutable static state in src/server")

def cycles(graph):
    index, low, stack, on, found = {}, {}, [], set(), []
    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))
    for v in list(graph):
        if v not in index:
            visit(v)
    return found

# 2. include graph over files
inc = {}
for f in glob.glob(f"{src}/*.[ch]"):
    for line in open(f):
        m = re.match(r'#include "server/(\w+\.h)"', line)
        if m:
            inc.setdefault(os.path.basename(f), set()).add(m.group(1))
c = cycles(inc)
if c:
    die(f"include cycles: {c}")
print(f"ok: include graph of {len(inc)} files has no cycles")

# 3. call graph over object files
files = glob.glob(f"{objs}/*.o")
if len(files) < 10:
    die(f"the service's objects are not in {objs} (build first)")
defs, uses = {}, {}
for o in files:
    mod = os.path.basename(o).split(".")[0]
    for line in subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "TDBR":
            defs[p[2]] = mod
        elif len(p) == 2 and p[0] == "U":
            uses.setdefault(mod, set()).add(p[1])
calls = {m: {defs[s] for s in u if s in defs and defs[s] != m} for m, u in uses.items()}
c = cycles(calls)
if c:
    die(f"call cycles: {c}")
for handler in ("attest", "certs", "policies", "pccs_routes", "health", "token_claims", "response"):
    if "http" in calls.get(handler, ()):
        die(f"{handler}.c calls into http.c")
print(f"ok: call graph of {len(files)} objects has no cycles; no handler calls http.c")
PY
echo "server_shape: 6 passed, 0 failed"
