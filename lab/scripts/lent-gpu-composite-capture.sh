#!/usr/bin/env bash
# Issue 31's GPU-resident path, tried piece by piece on a lent GPU machine
# before the tool builds it: NVDEC decode → a mostly transparent overlay layer
# (yuva420p, raw frames on a pipe as the tool would send them) uploaded with
# hwupload_cuda → overlay_cuda → -f null (the encoder taken out), and the
# variants the tool needs to choose between (main nv12 as NVDEC gives it, or
# scale_cuda to yuv420p; frames brought down once for a CPU encoder). Each
# with -benchmark, its stderr kept, and the CPU time of the whole pipeline
# (layer writer + ffmpeg) from bash's `time`.
#
#   lab/scripts/lent-gpu-composite-capture.sh OUTDIR  (after . scripts/lent-env.sh)
set -uo pipefail
out=${1:?usage: lent-gpu-composite-capture.sh OUTDIR}
mkdir -p "$out"
ff="${NVVIZ_FFMPEG:-ffmpeg}"
py="${PYTHON:-python3}"
clip="$out/h264.mkv"
h264_clip "$clip" 600 > "$out/make.txt" 2>&1
# A layer stream: 600 yuva420p 1080p frames, ten 200x400 box outlines (3 px),
# alpha 255 on the drawn pixels, 0 elsewhere; written from one prepared buffer
# so the writer's own cost is the pipe's.
layer() {
  "$py" - "$@" <<'EOF'
import sys
import numpy as np
w, h, n = 1920, 1080, int(sys.argv[1])
y = np.zeros((h, w), np.uint8); a = np.zeros((h, w), np.uint8)
u = np.full((h // 2, w // 2), 128, np.uint8); v = u.copy()
for i in range(10):
    x0, y0 = 60 + i * 180, 200 + (i % 3) * 150
    for m in (y, a):
        val = 255 if m is a else 150
        m[y0:y0 + 400, x0:x0 + 3] = val; m[y0:y0 + 400, x0 + 197:x0 + 200] = val
        m[y0:y0 + 3, x0:x0 + 200] = val; m[y0 + 397:y0 + 400, x0:x0 + 200] = val
buf = y.tobytes() + u.tobytes() + v.tobytes() + a.tobytes()
out = sys.stdout.buffer
try:
    for _ in range(n):
        out.write(buf)
except BrokenPipeError:
    pass
EOF
}
export -f layer 2>/dev/null || true
dev=(-init_hw_device cuda=gpu:0 -filter_hw_device gpu -hwaccel cuda -hwaccel_device gpu -hwaccel_output_format cuda)
lay=(-f rawvideo -pix_fmt yuva420p -s 1920x1080 -r 30 -i pipe:0)
TIMEFORMAT='pipeline real=%R user=%U sys=%S'
try() { # name, filter_complex, output args...
  local name=$1 graph=$2; shift 2
  { time { layer 600 | "$ff" -hide_banner -benchmark -stats_period 5 "${dev[@]}" -i "$clip" "${lay[@]}" \
      -filter_complex "$graph" "$@" ; } ; } > "$out/$name.txt" 2>&1
  echo "exit=$?" >> "$out/$name.txt"
}
# Decode only, the rate the composite is held to.
{ time "$ff" -hide_banner -benchmark "${dev[@]}" -i "$clip" -f null - ; } > "$out/decode-only.txt" 2>&1
{ time { layer 600 > /dev/null; } ; } > "$out/layer-writer-only.txt" 2>&1
try composite-nv12 "[1:v]hwupload_cuda[o];[0:v][o]overlay_cuda" -f null -
try composite-yuv420p "[0:v]scale_cuda=format=yuv420p[m];[1:v]hwupload_cuda[o];[m][o]overlay_cuda" -f null -
try composite-nv12-down "[1:v]hwupload_cuda[o];[0:v][o]overlay_cuda,hwdownload,format=nv12" -f null -
try composite-yuv420p-down "[0:v]scale_cuda=format=yuv420p[m];[1:v]hwupload_cuda[o];[m][o]overlay_cuda,hwdownload,format=yuv420p" -f null -
try composite-yuv420p-x264 "[0:v]scale_cuda=format=yuv420p[m];[1:v]hwupload_cuda[o];[m][o]overlay_cuda,hwdownload,format=yuv420p" \
  -c:v libx264 -preset ultrafast -y "$out/composite-x264.mkv"
try composite-nvenc "[0:v]scale_cuda=format=yuv420p[m];[1:v]hwupload_cuda[o];[m][o]overlay_cuda" \
  -c:v h264_nvenc -preset p1 -y "$out/composite-nvenc.mkv"
# Frames of the composite for a look (yuv420p main), and the stream's facts.
"$ff" -hide_banner -v error -y -i "$out/composite-x264.mkv" -vf "select=eq(n\,100)" -frames:v 1 "$out/composite-frame100.png" \
  > "$out/frame.txt" 2>&1
rm -f "$out/composite-x264.mkv" "$out/composite-nvenc.mkv"
# Several composite sessions at once (decode + layer + overlay each).
for k in 2 4; do
  { time { for i in $(seq "$k"); do
      layer 600 | "$ff" -hide_banner -benchmark "${dev[@]}" -i "$clip" "${lay[@]}" \
        -filter_complex "[0:v]scale_cuda=format=yuv420p[m];[1:v]hwupload_cuda[o];[m][o]overlay_cuda" \
        -f null - > "$out/composite-x$k-$i.txt" 2>&1 &
    done; wait; } ; } > "$out/composite-x$k.txt" 2>&1
done
# NVDEC to a pipe in the case's pixel formats (what --decoder nvdec hands the overlay).
for pf in yuv420p bgr24; do
  { time { "$ff" -hide_banner -benchmark -hwaccel cuda -i "$clip" -f rawvideo -pix_fmt $pf pipe:1 | cat > /dev/null; } ; } \
    > "$out/nvdec-pipe-$pf.txt" 2>&1
  { time { "$ff" -hide_banner -benchmark -i "$clip" -f rawvideo -pix_fmt $pf pipe:1 | cat > /dev/null; } ; } \
    > "$out/cpudec-pipe-$pf.txt" 2>&1
done
# NVDEC converting to packed BGR on the GPU (scale_cuda), brought down as bgr0.
{ time { "$ff" -hide_banner -benchmark -hwaccel cuda -hwaccel_output_format cuda -i "$clip" \
    -vf scale_cuda=format=bgr0,hwdownload,format=bgr0 -f rawvideo -pix_fmt bgr24 pipe:1 | cat > /dev/null; } ; } \
  > "$out/nvdec-scalecuda-bgr0.txt" 2>&1
rm -f "$clip"
