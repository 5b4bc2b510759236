#!/usr/bin/env bash
# Issue 32 on a lent GPU machine (no pip, no network there): the wheel that
# .carry/ brings unpacked onto PYTHONPATH, imported by the machine's python3
# (numpy and cv2 there), then scripts/bench-adapters.sh: the module's writer
# and the demo-shaped visualizer beside the guide's Python pipe, the tool's
# native and encode-only modes, in one interleaved run.
#
#   lab/scripts/lent-python.sh OUTDIR   (after . scripts/lent-env.sh)
set -uo pipefail
out=${1:?usage: lent-python.sh OUTDIR}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mkdir -p "$out"
py="$(mktemp -d)"
python3 -m zipfile -e "$root"/.carry/nvviz_bench-*.whl "$py"
export PYTHONPATH="$py${PYTHONPATH:+:$PYTHONPATH}"
python3 -c "import sys, nvviz_bench; print(sys.version.split()[0], nvviz_bench.__version__)" > "$out/python.txt" 2>&1
NVVIZ_RUNS=${NVVIZ_RUNS:-3} NVVIZ_FRAMES=${NVVIZ_FRAMES:-300} \
  bash "$root/scripts/bench-adapters.sh" "$out/adapters.json" python3 > /dev/null 2>&1
echo "exit=$?" >> "$out/adapters.txt"
