#!/usr/bin/env bash
# The adapters of examples/adapters/ benched beside the built-in nvenc,
# native and encode-only modes and the encoder ceiling, in one interleaved
# run (nvviz-writer and nvviz-visualizer: the Python module, where PYTHON
# imports nvviz_bench — `pip install` the wheel into it): the same
# workload (the embedded 1080p clip, 10 persons), the same rounds, so each
# adapter's fps sits beside the tool's own with ratios of the same rounds.
#
#   scripts/bench-adapters.sh OUT.json [PYTHON]
#   NVVIZ_FRAMES=100 NVVIZ_RUNS=3 scripts/bench-adapters.sh …   (a 2-core machine)
#
# An adapter whose libraries PYTHON cannot import (PyAV, supervision on a
# machine without them) is left out, and said so on stderr and in OUT.txt.
set -euo pipefail
out="${1:?usage: bench-adapters.sh OUT.json [PYTHON]}"
python="${2:-python3}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${NVVIZ_BIN:-$root/target/release/nvviz-bench}"
adapters="$root/examples/adapters"
args=()
note="${out%.json}.txt"
: > "$note"
for pair in guide-pipe:guide_pipe.py:cv2 cv2-writer:cv2_writer.py:cv2 \
            pyav:pyav_writer.py:av supervision:supervision_sink.py:supervision \
            nvviz-writer:nvviz_writer.py:nvviz_bench nvviz-visualizer:nvviz_visualizer.py:nvviz_bench; do
  IFS=: read -r name script module <<<"$pair"
  if "$python" -c "import cv2, numpy, $module" 2>/dev/null; then
    args+=(--command "$name=$python $adapters/$script {input} {detections} {output}")
  else
    echo "left out: $name ($python cannot import $module)" | tee -a "$note" >&2
  fi
done
"$bin" bench --modes nvenc,native,encode-only,encoder-ceiling --frames "${NVVIZ_FRAMES:-300}" --warmup 10 \
  --runs "${NVVIZ_RUNS:-5}" \
  --interleave "${args[@]}" --export-json "$out" 2>&1 | tee -a "$note"
