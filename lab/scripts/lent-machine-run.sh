#!/usr/bin/env bash
# One batch of every committed measurement on a lent machine without ffmpeg or
# a build toolchain (the H100 machine): the portable binary and the static
# ffmpeg come in .carry/, everything lands in one tarball under $OUT.
#
#   lab/scripts/lent-machine-run.sh OUTDIR NAME     (env: FRAMES, RUNS for perf-run.sh)
#
# Writes OUTDIR/NAME-results.tar.gz holding bench/ (scripts/collect-results.sh:
# doctor, the default bench, the preset sweeps) and perf/ (lab/scripts/perf-run.sh),
# each with machine.txt naming the CPU, GPU, driver, ffmpeg and nvviz-bench.
set -uo pipefail
out=${1:?usage: lent-machine-run.sh OUTDIR NAME}
name=${2:?usage: lent-machine-run.sh OUTDIR NAME}
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lent-env.sh"
mkdir -p "$work/res/bench" "$work/res/perf"
machine_facts "$work/res/bench"; machine_facts "$work/res/perf"
( cd "$root" && NVVIZ_FRAMES=${NVVIZ_FRAMES:-100} scripts/collect-results.sh "$work/res/bench" "$name" )
( cd "$root" && FRAMES=${FRAMES:-300} RUNS=${RUNS:-5} SESSIONS=1,2,4 lab/scripts/perf-run.sh "$work/res/perf" )
python3 "$root/scripts/perf-targets.py" "$work/res/perf" > "$work/res/perf/targets.md" 2>&1
tar -C "$work/res" -czf "$out/$name-results.tar.gz" bench perf
ls -la "$work/res/bench" "$work/res/perf"
