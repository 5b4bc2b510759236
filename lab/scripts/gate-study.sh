#!/usr/bin/env bash
# The study behind the CI gate's thresholds: N runs of the same commit's CI
# bench (scripts/ci-bench.sh, interleaved) and of the kernels' instruction
# counts on this machine, then every run judged against the first by the real
# gate at several thresholds, for absolute fps and for in-run ratios.
#
#   lab/scripts/gate-study.sh OUTDIR [N]        (N defaults to 10)
#   LOAD_ODD=1 lab/scripts/gate-study.sh …       odd runs beside a busy neighbour (one
#                                            core spinning): a shared runner's bad hour
# Writes OUTDIR/run-K.json, OUTDIR/instructions-K.json, OUTDIR/study.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:?usage: gate-study.sh OUTDIR [N]}"
n="${2:-10}"
mkdir -p "$out"
bin="${NVVIZ_BIN:-target/release/nvviz-bench}"
load=""
trap '[ -n "$load" ] && kill "$load" 2>/dev/null || true' EXIT
: >"$out/loaded.txt"
for k in $(seq 1 "$n"); do
  echo "[gate-study] run $k/$n" >&2
  if [ -n "${LOAD_ODD:-}" ] && [ $((k % 2)) -eq 1 ]; then
    (while :; do :; done) &
    load=$!
    echo "$k" >>"$out/loaded.txt"
  fi
  NVVIZ_BIN="$bin" bash scripts/ci-bench.sh "$out/run-$k.json" >/dev/null
  if [ -n "$load" ]; then kill "$load"; wait "$load" 2>/dev/null || true; load=""; fi
  if [ -z "${NO_INSTRUCTIONS:-}" ]; then
    python3 scripts/instructions.py measure "$out/instructions-$k.json" 2>/dev/null
  fi
done
python3 lab/scripts/gate-study.py "$out" "$bin" > "$out/study.md"
cat "$out/study.md"
