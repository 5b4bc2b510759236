#!/usr/bin/env bash
# `render --decoder nvdec` against the same render on the same frames
# decoded before the run (`--preload`), rounds interleaved, on a lent GPU
# machine: issue 31's "at least the pre-decoded fps" alone, when device
# time is short (lent-in-process.sh runs it with everything else).
#
#   lab/scripts/lent-nvdec-preload.sh OUTDIR   (after . scripts/lent-env.sh)
set -uo pipefail
out=${1:?usage: lent-nvdec-preload.sh OUTDIR}
study_clip "$out" 400
for r in $(seq 1 "${NVVIZ_ROUNDS:-5}"); do
  for dec in nvdec preload; do
    if [ "$dec" = preload ]; then src=(--preload); else src=(--decoder nvdec); fi
    nvviz-bench render --video "$clip" "${src[@]}" --mode native --frames 300 -o "$tmp/o.mp4" \
      --export-json "$out/render-$dec-r$r.json" > "$out/render-$dec-r$r.txt" 2>&1
  done
done
python3 - "$out" <<'PY' | tee "$out/summary.txt"
import json, sys
out = sys.argv[1]
def run(name):
    return json.load(open(f"{out}/render-{name}.json"))["cases"][0]["runs"][0]
r = 1
while True:
    try:
        n, p = run(f"nvdec-r{r}"), run(f"preload-r{r}")
    except FileNotFoundError:
        break
    print(f"round {r}: nvdec {n['fps']:.1f} fps ({n['decode']['cpu_ms_per_frame']:.2f} core-ms a frame decoding), preload {p['fps']:.1f} fps: {n['fps'] / p['fps']:.3f}")
    r += 1
PY
rm -rf "$tmp"
