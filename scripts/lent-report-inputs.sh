#!/usr/bin/env bash
# The report's inputs from a lent GPU machine (no ffmpeg, no toolchain there:
# the portable binary and the static ffmpeg come in .carry/), in one batch:
# doctor, the default bench and the preset sweeps (scripts/collect-results.sh),
# the sequential engine's run, and a --realtime round (does it keep up live).
#
#   scripts/lent-report-inputs.sh OUTDIR NAME      (env STEPS: any of
#                                                  "collect sequential realtime", default all)
#
# Writes OUTDIR/NAME-inputs.tar.gz: bench/ and perf/, each with machine.txt
# (CPU, GPU, driver, ffmpeg, nvviz-bench).
set -uo pipefail
out=${1:?usage: lent-report-inputs.sh OUTDIR NAME}
name=${2:?usage: lent-report-inputs.sh OUTDIR NAME}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work=$(mktemp -d)
mkdir -p "$work/bin" "$work/res/bench" "$work/res/perf"
xz -dc "$root/.carry/ffmpeg.xz" > "$work/bin/ffmpeg" && chmod +x "$work/bin/ffmpeg"
xz -dc "$root/.carry/nvviz-bench.xz" > "$work/bin/nvviz-bench" && chmod +x "$work/bin/nvviz-bench"
export PATH="$work/bin:$PATH" NVVIZ_BIN="$work/bin/nvviz-bench" NVVIZ_FFMPEG="$work/bin/ffmpeg" NO_COLOR=1
for d in bench perf; do
  { nproc; lscpu | grep -E 'Model name|Thread|Core'; nvidia-smi --query-gpu=name,driver_version --format=csv 2>&1
    ffmpeg -hide_banner -version | head -1; nvviz-bench --version; } > "$work/res/$d/machine.txt" 2>&1
done
steps=" ${STEPS:-collect sequential realtime} "
[[ $steps == *" collect "* ]] &&
( cd "$root" && NVVIZ_FRAMES=100 scripts/collect-results.sh "$work/res/bench" "$name" )
[[ $steps == *" sequential "* ]] && {
nvviz-bench bench --engine sequential --modes nvenc,native,encode-only,encoder-ceiling \
  --pix-fmts bgr24,yuv420p --frames 300 --runs 5 --warmup 10 --interleave -q \
  --export-json "$work/res/perf/engine-sequential.json" > "$work/res/perf/engine-sequential.txt" 2>&1
echo "exit=$?" >> "$work/res/perf/engine-sequential.txt"
}
[[ $steps == *" realtime "* ]] && {
nvviz-bench bench --realtime --modes original,fast,nvenc,native --frames 300 --runs 3 --warmup 10 \
  --interleave -q --export-json "$work/res/perf/realtime.json" > "$work/res/perf/realtime.txt" 2>&1
echo "exit=$?" >> "$work/res/perf/realtime.txt"
}
tar -C "$work/res" -czf "$out/$name-inputs.tar.gz" bench perf
ls -la "$work/res/bench" "$work/res/perf"
