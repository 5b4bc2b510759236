#!/usr/bin/env bash
# The pipelined engine's targets (issue 6), each measured side by side in one
# `bench` run, on the embedded 1080p clip with 10 persons:
#   engine-*.json   nvenc/native vs encode-only vs encoder-ceiling, bgr24 vs yuv420p
#                   on the pipe; pipelined (after) and sequential (before)
#   overlay.json    each overlay style's cost per frame (sequential: one core)
#   rss-3000.json   peak RSS over 3,000 frames
#   sessions.json   1..N encode streams at once
# Usage: scripts/perf-run.sh OUTDIR   (env: NVVIZ_BIN, FRAMES, RUNS, SESSIONS)
set -uo pipefail
out=${1:?usage: scripts/perf-run.sh OUTDIR}
bin=${NVVIZ_BIN:-target/release/nvviz-bench}
frames=${FRAMES:-300}
runs=${RUNS:-3}
sessions=${SESSIONS:-1,2,4}
mkdir -p "$out"
common=(--frames "$frames" --runs "$runs" --warmup 10 --persons 10 -q)
run() {
    local name=$1
    shift
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
