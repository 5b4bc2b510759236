#!/usr/bin/env bash
# Sourced by the scripts that run on a lent GPU machine (no ffmpeg, no build
# toolchain there): unpacks what .carry/ brings — the portable binary
# (`nvviz-bench.xz`: `CARGO_TARGET_DIR=target/portable cargo build --release --no-default-features`,
# xz'd) and the static ffmpeg (`ffmpeg.xz`, from the imageio-ffmpeg wheel) —
# into a fresh $work/bin, puts it first on PATH, and defines machine_facts.
#
#   . scripts/lent-env.sh        then: machine_facts DIR   (writes DIR/machine.txt),
#                                      study_clip DIR FRAMES (DIR, its machine.txt, $clip in $tmp),
#                                      h264_clip PATH FRAMES (a 1080p H.264 clip)
#
# Where .carry/ lacks one, the machine's own is used (nvviz-bench from
# target/release, ffmpeg from PATH), and NVVIZ_BIN, where set, names the
# binary: the same scripts run on a development machine.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work=$(mktemp -d)
mkdir -p "$work/bin"
if [ -f "$root/.carry/ffmpeg.xz" ]; then
  xz -dc "$root/.carry/ffmpeg.xz" > "$work/bin/ffmpeg" && chmod +x "$work/bin/ffmpeg"
fi
if [ -z "${NVVIZ_BIN:-}" ] && [ -f "$root/.carry/nvviz-bench.xz" ]; then
  xz -dc "$root/.carry/nvviz-bench.xz" > "$work/bin/nvviz-bench" && chmod +x "$work/bin/nvviz-bench"
else
  cp "${NVVIZ_BIN:-$root/target/release/nvviz-bench}" "$work/bin/nvviz-bench"
fi
export PATH="$work/bin:$PATH" NVVIZ_BIN="$work/bin/nvviz-bench" NO_COLOR=1
# After PATH has changed (one export expands every word first): the carried ffmpeg where there is one.
NVVIZ_FFMPEG="$(command -v ffmpeg)"
export NVVIZ_FFMPEG

# The 1080p H.264 test clip the GPU scripts decode (testsrc2, libx264, made
# on the CPU): h264_clip PATH FRAMES
h264_clip() {
  "$NVVIZ_FFMPEG" -hide_banner -v error -y -f lavfi -i testsrc2=s=1920x1080:r=30 -frames:v "$2" \
    -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$1"
}
export -f h264_clip

# The facts every timing names: cores, CPU, GPU and driver, ffmpeg, nvviz-bench and its commit.
machine_facts() {
  { nproc; lscpu | grep -E 'Model name|Thread|Core'; if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,driver_version --format=csv 2>&1; else echo "no NVIDIA GPU (nvidia-smi not found)"; fi
    "$NVVIZ_FFMPEG" -hide_banner -version | head -1; nvviz-bench --version; } > "$1/machine.txt" 2>&1
}
export -f machine_facts

# The start of an NVDEC study: OUTDIR made with its machine.txt, and a
# FRAMES-frame 1080p H.264 clip at $clip in a fresh $tmp (the caller removes
# it): study_clip OUTDIR FRAMES
study_clip() {
  mkdir -p "$1"
  tmp=$(mktemp -d)
  clip="$tmp/h264-1080p.mkv"
  h264_clip "$clip" "$2"
  machine_facts "$1"
}
export -f study_clip
