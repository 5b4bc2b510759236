#!/usr/bin/env bash
# The report's inputs from a lent GPU machine (no ffmpeg, no toolchain there:
# the portable binary and the static ffmpeg come in .carry/), in one batch:
# doctor, the default bench and the preset sweeps (scripts/collect-results.sh),
# the sequential engine's run, the pipe's transport round (pipe-ceiling per
# format and write method), and a --realtime round (does it keep up live).
#
#   scripts/lent-report-inputs.sh OUTDIR NAME      (env STEPS: any of
#                                                  "collect sequential transport realtime", default all)
#
# Writes OUTDIR/NAME-inputs.tar.gz: bench/ and perf/, each with machine.txt
# (CPU, GPU, driver, ffmpeg, nvviz-bench).
set -uo pipefail
out=${1:?usage: lent-report-inputs.sh OUTDIR NAME}
name=${2:?usage: lent-report-inputs.sh OUTDIR NAME}
. "$(dirname "${BASH_SOURCE[0]}")/lent-env.sh"
mkdir -p "$work/res/bench" "$work/res/perf"
machine_facts "$work/res/bench"; machine_facts "$work/res/perf"
steps=" ${STEPS:-collect sequential transport realtime} "
[[ $steps == *" collect "* ]] &&
( cd "$root" && NVVIZ_FRAMES=100 scripts/collect-results.sh "$work/res/bench" "$name" )
[[ $steps == *" sequential "* ]] && {
nvviz-bench bench --engine sequential --modes nvenc,native,encode-only,encoder-ceiling \
  --pix-fmts bgr24,yuv420p --frames 300 --runs 5 --warmup 10 --interleave -q \
  --export-json "$work/res/perf/engine-sequential.json" > "$work/res/perf/engine-sequential.txt" 2>&1
echo "exit=$?" >> "$work/res/perf/engine-sequential.txt"
}
[[ $steps == *" transport "* ]] && {
nvviz-bench bench --modes pipe-ceiling --pix-fmts bgr24,yuv420p,nv12 --frames 600 --runs 1 --warmup 10 -q \
  --export-json "$work/res/perf/transport.json" > "$work/res/perf/transport.txt" 2>&1
echo "exit=$?" >> "$work/res/perf/transport.txt"
}
[[ $steps == *" realtime "* ]] && {
nvviz-bench bench --realtime --modes original,fast,nvenc,native --frames 300 --runs 3 --warmup 10 \
  --interleave -q --export-json "$work/res/perf/realtime.json" > "$work/res/perf/realtime.txt" 2>&1
echo "exit=$?" >> "$work/res/perf/realtime.txt"
}
tar -C "$work/res" -czf "$out/$name-inputs.tar.gz" bench perf
ls -la "$work/res/bench" "$work/res/perf"
