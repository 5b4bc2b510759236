#!/usr/bin/env bash
# Issue 33 on a lent GPU machine (one GPU when no node of several is lent):
# doctor naming the GPU its trials ran on, `bench --gpu 0` and `--gpu all`
# (NVML sampled on the pinned GPU; NVDEC, CUDA and NVENC told its ordinal),
# a user's video decoded on the pinned GPU's NVDEC, and the refusals read
# from the real NVML: an index beyond the count, a GPU CUDA_VISIBLE_DEVICES
# hides, the GPU named by its UUID.
#
#   lab/scripts/lent-gpus.sh OUTDIR        (writes OUTDIR/*.json, *.txt, machine.txt)
set -uo pipefail
out=${1:?usage: lent-gpus.sh OUTDIR}
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lent-env.sh"
mkdir -p "$out"
machine_facts "$out"
run() { # NAME ARGS…: the command, its output and its exit status, kept
  local name=$1; shift
  { echo "\$ $*"; "$@"; echo "exit=$?"; } > "$out/$name.txt" 2>&1
}
run doctor nvviz-bench doctor --json
cp "$out/doctor.txt" "$out/doctor.json.txt"
nvviz-bench doctor > "$out/doctor-table.txt" 2>&1
run bench-gpu0 nvviz-bench bench --gpu 0 --modes native,gpu-resident,nvdec-ceiling \
  --frames 300 --runs 2 --warmup 10 --interleave -q --export-json "$out/bench-gpu0.json"
run bench-gpu-all nvviz-bench bench --gpu all --modes native --frames 150 --runs 1 -q \
  --export-json "$out/bench-gpu-all.json"
h264_clip "$work/clip.mp4" 300
run render-nvdec-gpu0 nvviz-bench render --gpu 0 --video "$work/clip.mp4" --decoder nvdec \
  --mode native -o "$work/out.mp4" --export-json "$out/render-nvdec-gpu0.json" -q
uuid=$(nvidia-smi --query-gpu=uuid --format=csv,noheader | head -n1)
CUDA_VISIBLE_DEVICES="${uuid:0:12}" run bench-by-uuid nvviz-bench bench --gpu 0 --modes native \
  --frames 60 --runs 1 -q --export-json "$out/bench-by-uuid.json"
run refuse-beyond nvviz-bench bench --gpu 1 --modes native
CUDA_VISIBLE_DEVICES=7 run refuse-hidden nvviz-bench bench --gpu 0 --modes native
ls -la "$out"
