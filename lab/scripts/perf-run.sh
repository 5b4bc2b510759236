#!/usr/bin/env bash
# The pipelined engine's targets (issue 6), each measured side by side in one
# `bench` run, on the embedded 1080p clip with 10 persons:
#   engine-*.json   nvenc/native vs encode-only vs encoder-ceiling, bgr24 vs yuv420p
#                   on the pipe; pipelined (after) and sequential (before)
#   overlay.json    each overlay style's cost per frame (sequential: one core)
#   rss-3000.json   peak RSS over 3,000 frames
#   sessions.json   1..N encode streams at once
#   pipe-probe.json ffmpeg reading the same raw frames from a file and from pipes
# Runs are round-robin over cases (--interleave): a machine that drifts during
# the run drifts under every case alike, so the ratios between cases hold.
# Usage: lab/scripts/perf-run.sh OUTDIR   (env: NVVIZ_BIN, FRAMES, RUNS, SESSIONS,
#        NVVIZ_FFMPEG for the pipe probe, SKIP: names of steps to leave out)
set -uo pipefail
out=${1:?usage: lab/scripts/perf-run.sh OUTDIR}
bin=${NVVIZ_BIN:-target/release/nvviz-bench}
frames=${FRAMES:-300}
runs=${RUNS:-3}
sessions=${SESSIONS:-1,2,4}
mkdir -p "$out"
common=(--frames "$frames" --runs "$runs" --warmup 10 --persons 10 -q --interleave)
run() {
    local name=$1
    shift
    [[ " ${SKIP:-} " == *" $name "* ]] && return
    echo "== $name: $bin bench $*" | tee "$out/$name.txt"
    "$bin" bench "$@" --export-json "$out/$name.json" >>"$out/$name.txt" 2>&1
    echo "exit $?" >>"$out/$name.txt"
}
for engine in pipelined sequential; do
    run "engine-$engine" --engine "$engine" --modes nvenc,native,encode-only,encoder-ceiling \
        --pix-fmts bgr24,yuv420p "${common[@]}"
done
run overlay --engine sequential --modes overlay-only "${common[@]}"
run rss-3000 --modes native --pix-fmts yuv420p --frames 3000 --runs 1 --warmup 0 --persons 10 -q
run sessions --modes encode-only --pix-fmts yuv420p --sessions "$sessions" "${common[@]}"
if [[ " ${SKIP:-} " != *" pipe-probe "* ]]; then
    echo "== pipe-probe" | tee "$out/pipe-probe.txt"
    python3 "$(dirname "$0")/pipe-probe.py" "${NVVIZ_FFMPEG:-ffmpeg}" "$out/engine-pipelined.json" \
        "$out/pipe-probe.json" "$frames" 3 >>"$out/pipe-probe.txt" 2>&1
    echo "exit $?" >>"$out/pipe-probe.txt"
fi
