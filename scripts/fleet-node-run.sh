#!/usr/bin/env bash
# The fleet's per-node script (deploy/slurm/nvviz-fleet.sbatch) run by hand on
# one machine, with the portable binary and the static ffmpeg carried in
# .carry/ (as on the lent GPU machine), plus the machine's facts. Its files
# are what reports/fleet/example/ is built from.
#
#   scripts/fleet-node-run.sh OUTDIR
set -euo pipefail
out="${1:?usage: fleet-node-run.sh OUTDIR}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$out"
if [ -f "$root/.carry/nvviz-bench" ]; then
  cp "$root/.carry/nvviz-bench" "$work/bin/"
else
  cp "${NVVIZ_BIN:-$root/target/release/nvviz-bench}" "$work/bin/nvviz-bench"
fi
if [ -f "$root/.carry/ffmpeg.xz" ] && ! command -v ffmpeg >/dev/null; then
  xz -dc "$root/.carry/ffmpeg.xz" >"$work/bin/ffmpeg" && chmod +x "$work/bin/ffmpeg"
fi
export PATH="$work/bin:$PATH" NO_COLOR=1
{
  echo "cores: $(nproc)"
  lscpu | grep -E 'Model name' || true
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1 || true
  ffmpeg -hide_banner -version | head -n1
  nvviz-bench --version
} >"$out/machine.txt"
NVVIZ_FLEET_DIR="$out" NVVIZ_BIN="$work/bin/nvviz-bench" \
  NVVIZ_BENCH_ARGS="${NVVIZ_BENCH_ARGS:---modes original,fast,nvenc,native,encode-only --runs 3 --interleave}" \
  bash "$root/deploy/slurm/nvviz-fleet.sbatch"
