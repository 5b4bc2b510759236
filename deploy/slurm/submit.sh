#!/bin/bash
# Queue the fleet run: an array of NODES tasks (one per node, --exclusive),
# then the report job once all of them ended (--dependency=afterany).
#
#   deploy/slurm/submit.sh NODES OUT_DIR [sbatch options for the array…]
#   deploy/slurm/submit.sh 8 /shared/nvviz --partition=gpu --gres=gpu:1 --time=00:20:00
#   deploy/slurm/submit.sh --gpus-per-node 4 8 /shared/nvviz --partition=gpu
#       (per GPU too: each node's GPUs requested, --gpu all on the node, then
#        a process per GPU at once, --gpus-per-task=1)
#
# NVVIZ_BIN and NVVIZ_BENCH_ARGS pass through (see nvviz-fleet.sbatch).
# Prints the two job ids.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
per_gpu=()
if [ "${1:-}" = --gpus-per-node ]; then
  case "${2:-}" in
    ''|*[!0-9]*|0) echo "submit.sh: --gpus-per-node takes a positive number, got '${2:-}'" >&2; exit 2 ;;
  esac
  export NVVIZ_GPUS_PER_NODE="$2"
  per_gpu=(--gres="gpu:$2" --ntasks="$2")
  shift 2
fi
nodes="${1:?usage: submit.sh NODES OUT_DIR [sbatch options]}"
out="${2:?usage: submit.sh NODES OUT_DIR [sbatch options]}"
shift 2
case "$nodes" in
  ''|*[!0-9]*|0) echo "submit.sh: NODES must be a positive number, got '$nodes'" >&2; exit 2 ;;
esac
mkdir -p "$out"
NVVIZ_FLEET_DIR="$(cd "$out" && pwd)"
export NVVIZ_FLEET_DIR
array="$(sbatch --parsable --array="0-$((nodes - 1))" --chdir="$NVVIZ_FLEET_DIR" --export=ALL "${per_gpu[@]}" "$@" \
  "$here/nvviz-fleet.sbatch")"
array="${array%%;*}"
report="$(sbatch --parsable --dependency="afterany:$array" --chdir="$NVVIZ_FLEET_DIR" --export=ALL \
  "$here/nvviz-fleet-report.sbatch")"
echo "$array ${report%%;*}"
