#!/usr/bin/env bash
# Where `render --decoder nvdec` loses to `--preload` (issue 31): the same
# comparison at 300 and 600 frames (a start-up cost shrinks with length, a
# per-frame one does not), `bench` with a warm-up (steady state) through the
# encoder and without it (`overlay-only`: the reader and overlay alone), and
# the render again with the driver's modules loaded eagerly. Rounds
# interleaved; `summary.txt` lists each run's fps, wall, and stages.
#
#   lab/scripts/lent-nvdec-gap.sh OUTDIR   (after . scripts/lent-env.sh)
set -uo pipefail
out=${1:?usage: lent-nvdec-gap.sh OUTDIR}
study_clip "$out" 700
for r in $(seq 1 "${NVVIZ_ROUNDS:-3}"); do
  for dec in nvdec preload; do
    if [ "$dec" = preload ]; then src=(--preload); else src=(--decoder nvdec); fi
    for n in 300 600; do
      nvviz-bench render --video "$clip" "${src[@]}" --mode native --frames "$n" -o "$tmp/o.mp4" \
        --export-json "$out/render$n-$dec-r$r.json" > "$out/render$n-$dec-r$r.txt" 2>&1
    done
    nvviz-bench bench --video "$clip" "${src[@]}" --modes native,overlay-only --frames 300 --warmup 30 \
      --runs 1 -q --export-json "$out/bench-$dec-r$r.json" > "$out/bench-$dec-r$r.txt" 2>&1
  done
  CUDA_MODULE_LOADING=EAGER nvviz-bench render --video "$clip" --decoder nvdec --mode native --frames 300 \
    -o "$tmp/o.mp4" --export-json "$out/render300-eager-r$r.json" > "$out/render300-eager-r$r.txt" 2>&1
done
python3 - "$out" <<'PY' | tee "$out/summary.txt"
import glob, json, os, sys
out = sys.argv[1]
for f in sorted(glob.glob(f"{out}/*.json")):
    d = json.load(open(f))
    for c in d["cases"]:
        for run in c["runs"]:
            s = run["stages_ms_per_frame"]
            dec = (run.get("decode") or {}).get("cpu_ms_per_frame")
            print(f"{os.path.basename(f):28} {c['mode']:13} {c['overlay'] or '-':7} fps {run['fps']:7.1f} wall {run['wall_s']:.3f} "
                  f"input {s['input']:.2f} overlay {s['overlay']:.2f} write {s['write']:.2f} "
                  f"own {run['cpu_own_cores']:.2f} ffmpeg {run.get('cpu_children_cores') or 0:.2f} decode {dec}")
PY
rm -rf "$tmp"
