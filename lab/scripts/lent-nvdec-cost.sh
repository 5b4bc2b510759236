#!/usr/bin/env bash
# Where `--decoder nvdec`'s CPU goes (issue 31: at most 1 core-ms a frame is
# asked; the lent H100 measured 5.2-5.9 through the tool): the tool's own
# decode command and variants of it, each on the same 1080p H.264 clip with
# ffmpeg's -benchmark (its user and system CPU), twice.
#
#   lab/scripts/lent-nvdec-cost.sh OUTDIR   (after . scripts/lent-env.sh)
set -uo pipefail
out=${1:?usage: lent-nvdec-cost.sh OUTDIR}
mkdir -p "$out"
nv=(-hwaccel cuda -hwaccel_output_format cuda)
ff="${NVVIZ_FFMPEG:-ffmpeg}" clip="$out/h264-1080p.mkv"
h264_clip "$clip" 400
run() { # name, args...
  local name=$1; shift
  for i in 1 2; do
    { "$ff" -hide_banner -nostdin -benchmark "$@" 2>> "$out/$name.txt" | cat > /dev/null; } 2>> "$out/$name.txt"
    echo "exit=${PIPESTATUS[0]}" >> "$out/$name.txt"
  done
}
raw=(-f rawvideo -pix_fmt nv12 -)
run nvdec-null "${nv[@]}" -i "$clip" -f null -
run nvdec-download-null "${nv[@]}" -i "$clip" -vf scale_cuda=1920:1080:format=nv12,hwdownload,format=nv12 -f null -
run tool-nvdec "${nv[@]}" -i "$clip" -map 0:v:0 -fps_mode passthrough \
  -vf scale_cuda=1920:1080:format=nv12,hwdownload,format=nv12 "${raw[@]}"
run tool-nvdec-1thread "${nv[@]}" -threads 1 -i "$clip" -map 0:v:0 -fps_mode passthrough \
  -filter_threads 1 -vf scale_cuda=1920:1080:format=nv12,hwdownload,format=nv12 "${raw[@]}"
run nvdec-no-scale "${nv[@]}" -i "$clip" -map 0:v:0 -vf hwdownload,format=nv12 "${raw[@]}"
run nvdec-auto-download -hwaccel cuda -i "$clip" -map 0:v:0 "${raw[@]}"
run cuvid-decoder -c:v h264_cuvid -i "$clip" -map 0:v:0 "${raw[@]}"
run cpu-bgr24 -i "$clip" -map 0:v:0 -vf scale=1920:1080 -f rawvideo -pix_fmt bgr24 -
run cpu-nv12 -i "$clip" -map 0:v:0 -f rawvideo -pix_fmt nv12 -
rm -f "$clip"
grep -H "bench: utime" "$out"/*.txt > "$out/summary.txt"
