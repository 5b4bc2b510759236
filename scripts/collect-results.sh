#!/usr/bin/env bash
# Runs the standard measurement set on this machine and collects everything in
# OUTDIR: doctor (the tool's version, table + JSON), the default bench (all modes, h264 p1), and a
# preset sweep (h264 p1..p7; hevc/av1 p1,p4,p7) — the inputs of `report`.
#
#   scripts/collect-results.sh OUTDIR [NAME]
#
# Environment: NVVIZ_BIN (default: target/release/nvviz-bench), NVVIZ_FFMPEG,
# NVVIZ_SWEEP=0 to skip the sweep, NVVIZ_FRAMES (default 100).
set -uo pipefail
out="${1:?usage: collect-results.sh OUTDIR [NAME]}"
name="${2:-$(hostname)}"
bin="${NVVIZ_BIN:-target/release/nvviz-bench}"
frames="${NVVIZ_FRAMES:-100}"
mkdir -p "$out"
export NO_COLOR=1

{ "$bin" --version; "$bin" doctor -v 2>&1; echo "doctor exit=$?"; } > "$out/$name-doctor.txt"
"$bin" doctor --json > "$out/$name-doctor.json" 2>/dev/null

# The default run: every mode on the embedded 1080p clip.
"$bin" bench --frames "$frames" --runs 3 --interleave --export-json "$out/$name-bench.json" \
  > "$out/$name-bench.txt" 2>&1
echo "bench exit=$?" >> "$out/$name-bench.txt"

if [ "${NVVIZ_SWEEP:-1}" != 0 ]; then
  "$bin" bench --frames "$frames" --runs 3 --interleave --modes native,encode-only,encoder-ceiling --codecs h264 --presets p1..p7 \
    --export-json "$out/$name-presets-h264.json" > "$out/$name-presets-h264.txt" 2>&1
  echo "sweep exit=$?" >> "$out/$name-presets-h264.txt"
  "$bin" bench --frames "$frames" --runs 2 --interleave --modes encode-only --codecs hevc,av1 --presets p1,p4,p7 \
    --export-json "$out/$name-presets-hevc-av1.json" > "$out/$name-presets-hevc-av1.txt" 2>&1
  echo "sweep exit=$?" >> "$out/$name-presets-hevc-av1.txt"
fi
