#!/usr/bin/env bash
# --decoder nvdec through the tool on a lent GPU machine: a 1080p H.264 clip
# (made on the CPU) rendered and benched with NVDEC and with the CPU decoder,
# interleaved in one run, beside the embedded (pre-decoded) clip; results
# JSON and the terminal's lines kept.
#
#   lab/scripts/lent-nvdec-bench.sh OUTDIR   (after . scripts/lent-env.sh)
set -uo pipefail
out=${1:?usage: lent-nvdec-bench.sh OUTDIR}
mkdir -p "$out"
ff="${NVVIZ_FFMPEG:-ffmpeg}"
clip="$out/h264-1080p.mkv"
h264_clip "$clip" 400
runs=${NVVIZ_RUNS:-5}
for dec in nvdec ffmpeg; do
  nvviz-bench render --video "$clip" --decoder "$dec" --mode native --frames 300 \
    -o "$out/render-$dec.mp4" --export-json "$out/render-$dec.json" > "$out/render-$dec.txt" 2>&1
  echo "exit=$?" >> "$out/render-$dec.txt"
  nvviz-bench bench --video "$clip" --decoder "$dec" --modes overlay-only,native --frames 300 \
    --warmup 10 --runs "$runs" --interleave --export-json "$out/bench-$dec.json" > "$out/bench-$dec.txt" 2>&1
  echo "exit=$?" >> "$out/bench-$dec.txt"
done
nvviz-bench bench --modes overlay-only,native --frames 300 --warmup 10 --runs "$runs" --interleave \
  --export-json "$out/bench-embedded.json" > "$out/bench-embedded.txt" 2>&1
"$ff" -hide_banner -v error -y -i "$out/render-nvdec.mp4" -vf "select=eq(n\,100)" -frames:v 1 "$out/render-nvdec-frame100.png"
"$ff" -hide_banner -v error -y -i "$out/render-ffmpeg.mp4" -vf "select=eq(n\,100)" -frames:v 1 "$out/render-ffmpeg-frame100.png"
rm -f "$clip" "$out"/render-*.mp4
