#!/usr/bin/env bash
# What NVDEC does on a lent GPU machine, captured for issue 31's parsers and
# tests: ffmpeg's hwaccels and cuvid decoders, and per codec a 1080p clip made
# on the CPU then decoded through `-hwaccel cuda` (frames out in CUDA memory)
# and on the CPU, each with -benchmark (its CPU time) and its stderr kept —
# including codecs NVDEC refuses (4:4:4 H.264).
#
#   lab/scripts/lent-nvdec-capture.sh OUTDIR     (after . scripts/lent-env.sh)
set -uo pipefail
out=${1:?usage: lent-nvdec-capture.sh OUTDIR}
mkdir -p "$out"
ff="${NVVIZ_FFMPEG:-ffmpeg}"
"$ff" -hide_banner -hwaccels > "$out/hwaccels.txt" 2>&1
"$ff" -hide_banner -decoders 2>&1 | grep -E "cuvid|nvdec" > "$out/cuvid-decoders.txt"
nvidia-smi -q -d UTILIZATION,ENCODER_STATS > "$out/nvidia-smi-q.txt" 2>&1
clip() { # name, encoder args...
  local name=$1; shift
  "$ff" -hide_banner -v error -y -f lavfi -i testsrc2=s=1920x1080:r=30 -frames:v 300 "$@" \
    "$out/$name.mkv" > "$out/$name.make.txt" 2>&1
}
clip h264 -c:v libx264 -preset ultrafast -pix_fmt yuv420p
clip hevc -c:v libx265 -preset ultrafast -pix_fmt yuv420p -x265-params log-level=error
clip hevc10 -c:v libx265 -preset ultrafast -pix_fmt yuv420p10le -x265-params log-level=error
clip av1 -c:v libsvtav1 -preset 12 -pix_fmt yuv420p
clip h264-444 -c:v libx264 -preset ultrafast -pix_fmt yuv444p
for name in h264 hevc hevc10 av1 h264-444; do
  [ -s "$out/$name.mkv" ] || continue
  for how in cuda cpu; do
    hw=(); [ "$how" = cuda ] && hw=(-hwaccel cuda -hwaccel_output_format cuda)
    "$ff" -hide_banner -benchmark "${hw[@]}" -i "$out/$name.mkv" -f null - \
      > "$out/$name.decode-$how.txt" 2>&1
    echo "exit=$?" >> "$out/$name.decode-$how.txt"
  done
  # Frames back to the CPU in bgr24 (what a pipe reader gets), on NVDEC.
  "$ff" -hide_banner -benchmark -hwaccel cuda -i "$out/$name.mkv" -pix_fmt bgr24 -f null - \
    > "$out/$name.decode-cuda-bgr24.txt" 2>&1
  echo "exit=$?" >> "$out/$name.decode-cuda-bgr24.txt"
  # Four NVDEC sessions at once.
  for i in 1 2 3 4; do
    "$ff" -hide_banner -benchmark -hwaccel cuda -hwaccel_output_format cuda -i "$out/$name.mkv" \
      -f null - > "$out/$name.decode-cuda-x4-$i.txt" 2>&1 &
  done
  wait
  rm -f "$out/$name.mkv"
done
