#!/usr/bin/env bash
# Issue 15, target 2: the `nvenc` mode against the encoder's ceiling (the same
# ffmpeg and encoder reading the same frames from a file), paired by round, for
# each way of running our side of the pipe. Where the encoder is the libx264
# fallback our threads share the CPU with it: each variant changes only how
# many overlay workers there are and how nice they are.
#
#   lab/scripts/ceiling-study.sh OUTDIR     (env: FRAMES (600), RUNS (8),
#                                        VARIANTS (all: "default workers1 workers2 nice19"))
#
# Writes OUTDIR/VARIANT.json and .txt (one interleaved bench each), machine.txt,
# and summary.md (lab/scripts/ceiling-ratios.py: every ratio with its spread and
# the verdict by lab/scripts/spread.py's rule). On a lent GPU machine the binary
# and ffmpeg come from .carry/ (scripts/lent-env.sh).
set -uo pipefail
out=${1:?usage: ceiling-study.sh OUTDIR}
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lent-env.sh"
mkdir -p "$out"
machine_facts "$out"
declare -A engine=(
  [default]=""
  [workers1]="--overlay-threads 1"
  [workers2]="--overlay-threads 2"
  [nice19]="--worker-nice 19"
)
for v in ${VARIANTS:-default workers1 workers2 nice19}; do
  # shellcheck disable=SC2086 # the variant's options are words
  nvviz-bench bench --modes nvenc,encoder-ceiling --pix-fmts bgr24,yuv420p --codecs h264 \
    --frames "${FRAMES:-600}" --runs "${RUNS:-8}" --warmup 10 --interleave -q ${engine[$v]} \
    --export-json "$out/$v.json" > "$out/$v.txt" 2>&1
  echo "exit=$?" >> "$out/$v.txt"
done
python3 "$root/scripts/ceiling-ratios.py" "$out"/*.json > "$out/summary.md"
cat "$out/summary.md"
