#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for FUZZ_SECONDS (default 30) each,
# seeded from tests/fuzz/corpus/<target>/ and the real evidence listed in
# tests/fuzz/corpus/<target>.vectors (paths relative to tests/vectors/data),
# with the dictionary tests/fuzz/corpus/<target>.dict where there is one.
set -euo pipefail
build=${1:-build-fuzz}
secs=${FUZZ_SECONDS:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for t in "$build"/fuzz_*; do
  [[ -x $t ]] || continue
  name=$(basename "$t")
  work=$(mktemp -d)
  seeds="$root/tests/fuzz/corpus/$name"
  [[ -d $seeds ]] && cp -r "$seeds"/. "$work"/ 2>/dev/null || true
  # tests/fuzz/corpus/<target>.vectors lists seed files relative to tests/vectors/data
  if [[ -f $seeds.vectors ]]; then
    while read -r rel; do
      [[ -z $rel || $rel == \#* ]] && continue
      [[ -f $root/tests/vectors/data/$rel ]] || { echo "fuzz: $name: no seed tests/vectors/data/$rel"; exit 1; }
      cp "$root/tests/vectors/data/$rel" "$work/$(echo "$rel" | tr / _)"
    done < "$seeds.vectors"
  fi
  echo "fuzz: $name for ${secs}s"
  # tests/fuzz/corpus/<target>.dict: a libFuzzer dictionary, when the target has one
  dict=()
  [[ -f $seeds.dict ]] && dict=(-dict="$seeds.dict")
  if ! "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 "${dict[@]}" "$work" 2>"$work.log"; then
    echo "fuzz: $name FAILED"; tail -40 "$work.log"; status=1
  else
    grep -E '^#[0-9]+.*(DONE|pulse)' "$work.log" | tail -1 || true
  fi
  rm -rf "$work" "$work.log"
done
exit $status
