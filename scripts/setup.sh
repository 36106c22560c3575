#!/usr/bin/env bash
# Installs what Avow's build and tests need on Debian 12: the Debian packages
# below (only those missing) and the Node test tools (npm ci, only when the
# lock file changed). Safe to run again; quiet when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config clang libclang-rt-14-dev  # compilers, sanitizers, libFuzzer
  libssl-dev libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev
  libsqlite3-dev libpq-dev postgresql                          # stores
  libcmocka-dev                                                # unit tests
  nodejs npm                                                   # MAA client interop tests
  wrk openssl ca-certificates python3 curl                     # benchmarks, test tooling
)

missing=()
for p in "${packages[@]}"; do
  [[ $p == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# node/npm may come from outside Debian (a preinstalled Node): accept those.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node test tools (the real @azure/attestation client), pinned by package-lock.json.
if [[ -f tests/node/package-lock.json ]]; then
  stamp=tests/node/node_modules/.avow-lock-stamp
  if [[ ! -f $stamp ]] || ! cmp -s tests/node/package-lock.json "$stamp"; then
    echo "setup: npm ci (tests/node)"
    (cd tests/node && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp tests/node/package-lock.json "$stamp"
  fi
fi
