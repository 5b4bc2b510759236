#!/bin/bash
# Queue the fleet run: an array of NODES tasks (one per node, --exclusive),
# then the report job once all of them ended (--dependency=afterany).
#
#   deploy/slurm/submit.sh NODES OUT_DIR [sbatch options for the array…]
#   deploy/slurm/submit.sh 8 /shared/nvviz --partition=gpu --gres=gpu:1 --time=00:20:00
#
# NVVIZ_BIN and NVVIZ_BENCH_ARGS pass through (see nvviz-fleet.sbatch).
# Prints the two job ids.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
nodes="${1:?usage: submit.sh NODES OUT_DIR [sbatch options]}"
out="${2:?usage: submit.sh NODES OUT_DIR [sbatch options]}"
shift 2
case "$nodes" in
  ''|*[!0-9]*|0) echo "submit.sh: NODES must be a positive number, got '$nodes'" >&2; exit 2 ;;
esac
mkdir -p "$out"
NVVIZ_FLEET_DIR="$(cd "$out" && pwd)"
export NVVIZ_FLEET_DIR
array="$(sbatch --parsable --array="0-$((nodes - 1))" --chdir="$NVVIZ_FLEET_DIR" --export=ALL "$@" \
  "$here/nvviz-fleet.sbatch")"
array="${array%%;*}"
report="$(sbatch --parsable --dependency="afterany:$array" --chdir="$NVVIZ_FLEET_DIR" --export=ALL \
  "$here/nvviz-fleet-report.sbatch")"
echo "$array ${report%%;*}"
