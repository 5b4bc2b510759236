#!/usr/bin/env bash
# The main job on the embedded default workload: doctor (what this machine can
# encode), the full bench (every mode, 1080p synthetic clip), and the report.
# Everything lands in ./nvviz-out/: doctor.txt, results.json, report/report.md (+ charts).
#
#   scripts/main-job.sh [extra bench flags...]     e.g. --quality, --codecs h264,hevc
set -euo pipefail
cd "$(dirname "$0")/.."
out="${NVVIZ_OUT:-nvviz-out}"
mkdir -p "$out"
scripts/cargo build --release --quiet
bin=target/release/nvviz-bench
# doctor exits 1 when no path can write video; the bench below then says why per case.
"$bin" doctor | tee "$out/doctor.txt" || true
"$bin" bench --export-json "$out/results.json" "$@"
"$bin" report "$out/results.json" -o "$out/report"
echo "report: $out/report/report.md"
