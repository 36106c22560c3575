#!/usr/bin/env bash
# The layer rule at the #include level (docs/architecture.md): a file of a
# layer includes only headers of its own layer and of the layers it stands
# on — the public headers (include/avow/*.h, each owned by one layer) and the
# internal ones (src/LAYER/*.h). The linker checks calls the same way (the
# layer_check target). Any include that points upward fails this test, naming
# the file, the line and both layers.
set -euo pipefail
: "${AVOW_SOURCE:?}"
cd "$AVOW_SOURCE"
python3 - <<'PY'
import re, sys, pathlib

# each layer and the layers it may use (besides itself)
order = ["core", "sgx", "pki", "collateral", "verify", "token", "policy", "attest"]
uses = {l: set(order[:i]) for i, l in enumerate(order)}
lib = set(order)
uses["store"] = lib
uses["pccs"] = lib | {"store"}
uses["sim"] = lib
uses["server"] = lib | {"store", "pccs"}
uses["cli"] = lib | {"store", "pccs", "sim"}
public = {  # include/avow/NAME.h -> its layer
    "err": "core", "encode": "core", "time": "core", "trace": "core", "file": "core",
    "quote": "sgx", "report": "sgx", "enclave": "sgx", "pck": "pki", "cert": "pki",
    "collateral": "collateral", "tcb": "collateral", "evalnum": "collateral", "verify": "verify",
    "token": "token", "claims": "policy", "policy": "policy", "attest": "attest",
}
inc = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/([a-z0-9_]+)\.h"')
bad, n = [], 0
files = [(p, p.parent.name) for p in pathlib.Path("src").glob("*/*.[ch]")]
files += [(p, public[p.stem]) for p in pathlib.Path("include/avow").glob("*.h") if p.stem in public]
unknown = [p for p in pathlib.Path("include/avow").glob("*.h") if p.stem not in public]
if unknown:
    sys.exit(f"layers: public headers without a layer: {unknown}")
for path, layer in files:
    if layer not in uses:
        sys.exit(f"layers: {path}: folder {layer} is not a known layer")
    for no, line in enumerate(path.read_text().splitlines(), 1):
        m = inc.match(line)
        if not m:
            continue
        n += 1
        folder, name = m.groups()
        to = public.get(name) if folder == "avow" else folder
        if to is None:
            bad.append(f"{path}:{no}: includes an unknown header {folder}/{name}.h")
        elif to != layer and to not in uses[layer]:
            bad.append(f"{path}:{no}: {layer} includes {folder}/{name}.h of layer {to}, above it")
for b in bad:
    print("FAIL:", b)
if bad:
    sys.exit(1)
print(f"layers: {len(files)} files, {n} includes, all downward")
PY
