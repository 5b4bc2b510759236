#!/usr/bin/env bash
# Issue 31 on a lent GPU machine, through the tool: doctor's decode section;
# the GPU-resident modes beside native in one interleaved run, on the
# embedded clip and on a 1080p H.264 file; the gpu-resident render's frames
# for a look; --decoder nvdec against the CPU decoder (lent-nvdec-bench.sh).
#
#   lab/scripts/lent-gpu-resident.sh OUTDIR   (after . scripts/lent-env.sh)
set -uo pipefail
out=${1:?usage: lent-gpu-resident.sh OUTDIR}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out"
ff="${NVVIZ_FFMPEG:-ffmpeg}"
runs=${NVVIZ_RUNS:-5}
nvviz-bench doctor --json > "$out/doctor.json" 2> "$out/doctor.err"
nvviz-bench doctor > "$out/doctor.txt" 2>&1
clip="$out/h264-1080p.mkv"
h264_clip "$clip" 700
modes=gpu-resident,composite-ceiling,nvdec-ceiling,native
nvviz-bench bench --modes $modes --frames 600 --warmup 30 --runs "$runs" --interleave \
  --export-json "$out/gpu-embedded.json" > "$out/gpu-embedded.txt" 2>&1
echo "exit=$?" >> "$out/gpu-embedded.txt"
nvviz-bench bench --video "$clip" --modes $modes --frames 600 --warmup 30 --runs "$runs" --interleave \
  --export-json "$out/gpu-video.json" > "$out/gpu-video.txt" 2>&1
echo "exit=$?" >> "$out/gpu-video.txt"
# Several NVDEC sessions at once on the same file.
nvviz-bench bench --video "$clip" --modes nvdec-ceiling --sessions 1,2,4 --frames 600 --warmup 30 \
  --runs "$runs" --interleave --export-json "$out/nvdec-sessions.json" > "$out/nvdec-sessions.txt" 2>&1
for mode in gpu-resident native; do
  nvviz-bench render --mode $mode --frames 120 -o "$out/render-$mode.mp4" > "$out/render-$mode.txt" 2>&1
  "$ff" -hide_banner -v error -y -i "$out/render-$mode.mp4" -vf "select=eq(n\,100)" -frames:v 1 "$out/render-$mode-frame100.png"
  rm -f "$out/render-$mode.mp4"
done
rm -f "$clip"
NVVIZ_RUNS=$runs bash "$here/lent-nvdec-bench.sh" "$out/nvdec"
