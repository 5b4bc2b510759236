#!/usr/bin/env bash
# `render --decoder nvdec` against the same render on the same frames
# decoded before the run (`--preload`), rounds interleaved, on a lent GPU
# machine: issue 31's "at least the pre-decoded fps" (lent-in-process.sh
# runs it with everything else). With NVVIZ_GAP=1, also where the NVDEC
# render loses: the same at 600 frames (a start-up or teardown cost shrinks
# with length, a per-frame one does not), `bench` with a warm-up through the
# encoder and without it (`overlay-only`: reader and overlay alone), and the
# render with the driver's modules loaded eagerly. `summary.txt`: each
# round's ratio, then every run's fps, wall and stages.
#
#   lab/scripts/lent-nvdec-preload.sh OUTDIR   (after . scripts/lent-env.sh)
set -uo pipefail
out=${1:?usage: lent-nvdec-preload.sh OUTDIR}
gap=${NVVIZ_GAP:-0}
if [ "$gap" = 1 ]; then lengths=(300 600); else lengths=(300); fi
study_clip "$out" 700
for r in $(seq 1 "${NVVIZ_ROUNDS:-5}"); do
  for dec in nvdec preload; do
    if [ "$dec" = preload ]; then src=(--preload); else src=(--decoder nvdec); fi
    for n in "${lengths[@]}"; do
      nvviz-bench render --video "$clip" "${src[@]}" --mode native --frames "$n" -o "$tmp/o.mp4" \
        --export-json "$out/render$n-$dec-r$r.json" > "$out/render$n-$dec-r$r.txt" 2>&1
    done
    [ "$gap" = 1 ] || continue
    nvviz-bench bench --video "$clip" "${src[@]}" --modes native,overlay-only --frames 300 --warmup 30 \
      --runs 1 -q --export-json "$out/bench-$dec-r$r.json" > "$out/bench-$dec-r$r.txt" 2>&1
  done
  [ "$gap" = 1 ] || continue
  CUDA_MODULE_LOADING=EAGER nvviz-bench render --video "$clip" --decoder nvdec --mode native --frames 300 \
    -o "$tmp/o.mp4" --export-json "$out/render300-eager-r$r.json" > "$out/render300-eager-r$r.txt" 2>&1
done
python3 - "$out" <<'PY' | tee "$out/summary.txt"
import glob, json, os, sys
out = sys.argv[1]
def run(name):
    return json.load(open(f"{out}/{name}.json"))["cases"][0]["runs"][0]
r = 1
while os.path.exists(f"{out}/render300-nvdec-r{r}.json") and os.path.exists(f"{out}/render300-preload-r{r}.json"):
    n, p = run(f"render300-nvdec-r{r}"), run(f"render300-preload-r{r}")
    print(f"round {r}: nvdec {n['fps']:.1f} fps ({n['decode']['cpu_ms_per_frame']:.2f} core-ms a frame decoding), preload {p['fps']:.1f} fps: {n['fps'] / p['fps']:.3f}")
    r += 1
for f in sorted(glob.glob(f"{out}/*.json")):
    d = json.load(open(f))
    for c in d["cases"]:
        for run in c["runs"]:
            s = run["stages_ms_per_frame"]
            dec = (run.get("decode") or {}).get("cpu_ms_per_frame")
            print(f"{os.path.basename(f):28} {c['mode']:13} {c['overlay'] or '-':7} fps {run['fps']:7.1f} wall {run['wall_s']:.3f} "
                  f"input {s['input']:.2f} overlay {s['overlay']:.2f} write {s['write']:.2f} "
                  f"own {run['cpu_own_cores']:.2f} ffmpeg {run.get('cpu_children_cores') or 0:.2f} decode {dec} "
                  f"writer-idle {1000 / run['fps'] - s['write'] - s['finalize']:.2f} first-frame {run.get('first_frame_ms')}")
PY
rm -rf "$tmp"
