#!/usr/bin/env bash
# Issue 31's targets with NVDEC and the composite driven in this process
# (cuda/, bench/gpu_cuda.rs), on a lent GPU machine, in one call:
# - `render --decoder nvdec` (in-process) against `--decoder ffmpeg` and the
#   same mode on the same frames pre-decoded (`--preload`), rounds interleaved;
#   what decoding cost a frame, from each result's `decode` record;
# - the GPU modes on the same 1080p H.264 file, interleaved: NVDEC alone
#   (ffmpeg), the composite with the encoder taken out, gpu-resident;
# - frame 100 of each path's output kept for a look, and their difference;
# - HEVC and 4:4:4 H.264 through --decoder nvdec (in-process, and the
#   fallback with its reason); doctor with its in-process decode rows.
#
#   lab/scripts/lent-in-process.sh OUTDIR   (after . scripts/lent-env.sh)
set -uo pipefail
out=${1:?usage: lent-in-process.sh OUTDIR}
mkdir -p "$out"
ff="$NVVIZ_FFMPEG"
tmp=$(mktemp -d)
clip="$tmp/h264-1080p.mkv"
h264_clip "$clip" 700
machine_facts "$out"
nvviz-bench doctor > "$out/doctor.txt" 2>&1
nvviz-bench doctor --json > "$out/doctor.json" 2> "$out/doctor.err"
rounds=${NVVIZ_ROUNDS:-3}
frames=${NVVIZ_FRAMES:-600}
for r in $(seq 1 "$rounds"); do
  for dec in nvdec ffmpeg preload; do
    if [ "$dec" = preload ]; then src=(--video "$clip" --preload); else src=(--video "$clip" --decoder "$dec"); fi
    nvviz-bench render "${src[@]}" --mode native --frames "$frames" -o "$tmp/render-$dec.mp4" \
      --export-json "$out/render-$dec-r$r.json" > "$out/render-$dec-r$r.txt" 2>&1
    echo "exit=$?" >> "$out/render-$dec-r$r.txt"
  done
done
for dec in nvdec ffmpeg; do
  "$ff" -hide_banner -v error -y -i "$tmp/render-$dec.mp4" -vf "select=eq(n\,100)" -frames:v 1 "$out/frame100-decoder-$dec.png"
done
modes=composite-ceiling,nvdec-ceiling,gpu-resident
nvviz-bench bench --video "$clip" --modes $modes --frames 600 --warmup 30 --runs "$rounds" --interleave \
  --export-json "$out/gpu-video.json" > "$out/gpu-video.txt" 2>&1
echo "exit=$?" >> "$out/gpu-video.txt"
nvviz-bench bench --modes $modes,native --frames 600 --warmup 30 --runs "$rounds" --interleave \
  --export-json "$out/gpu-embedded.json" > "$out/gpu-embedded.txt" 2>&1
echo "exit=$?" >> "$out/gpu-embedded.txt"
for mode in gpu-resident native; do
  nvviz-bench render --video "$clip" --mode $mode --frames 120 -o "$tmp/render-$mode.mp4" > "$out/render-$mode.txt" 2>&1
  echo "exit=$?" >> "$out/render-$mode.txt"
  "$ff" -hide_banner -v error -y -i "$tmp/render-$mode.mp4" -vf "select=eq(n\,100)" -frames:v 1 "$out/frame100-$mode.png"
done
# HEVC in-process; 4:4:4 H.264, which NVDEC refuses: the fallback and its reason.
"$ff" -hide_banner -v error -y -f lavfi -i testsrc2=s=1920x1080:r=30 -frames:v 200 -c:v libx265 -preset ultrafast "$tmp/hevc.mkv" \
  || "$ff" -hide_banner -v error -y -f lavfi -i testsrc2=s=1920x1080:r=30 -frames:v 200 -c:v hevc "$tmp/hevc.mkv"
"$ff" -hide_banner -v error -y -f lavfi -i testsrc2=s=1280x720:r=30 -frames:v 60 -c:v libx264 -preset ultrafast -pix_fmt yuv444p "$tmp/h264-444.mkv"
for v in hevc h264-444; do
  nvviz-bench render --video "$tmp/$v.mkv" --decoder nvdec --mode native --frames 50 -o "$tmp/out-$v.mp4" \
    --export-json "$out/render-nvdec-$v.json" > "$out/render-nvdec-$v.txt" 2>&1
  echo "exit=$?" >> "$out/render-nvdec-$v.txt"
done
python3 - "$out" <<'PY'
import json, sys, glob, os
out = sys.argv[1]
def case(p):
    d = json.load(open(p))
    return d["cases"][0] if "cases" in d else d
rows = []
fps = {}
for p in sorted(glob.glob(f"{out}/render-*-r*.json")):
    c = case(p)
    if not c.get("runs"):
        rows.append(f"{os.path.basename(p)}: {c.get('status')} {c.get('reason')}")
        continue
    run = c["runs"][0]
    dec = run.get("decode") or {}
    cores = run.get("cpu_own_cores", 0) + run.get("cpu_children_cores", 0)
    rows.append(f"{os.path.basename(p)}: fps {run['fps']:.1f} cores {cores:.2f} decode {dec.get('decoder')} {dec.get('cpu_ms_per_frame')} core-ms/frame")
    name = os.path.basename(p)[len("render-"):-len(".json")]
    fps[name] = run["fps"]
for r in range(1, 100):
    if f"nvdec-r{r}" in fps and f"preload-r{r}" in fps:
        rows.append(f"round {r}: nvdec / preload {fps[f'nvdec-r{r}'] / fps[f'preload-r{r}']:.3f}, ffmpeg / preload {fps.get(f'ffmpeg-r{r}', 0) / fps[f'preload-r{r}']:.3f}")
d = json.load(open(f"{out}/gpu-video.json"))
by = {c["mode"]: c["runs"] for c in d["cases"]}
for i, (c, n) in enumerate(zip(by.get("composite-ceiling", []), by.get("nvdec-ceiling", []))):
    rows.append(f"round {i + 1}: composite-ceiling {c['fps']:.1f} / nvdec-ceiling {n['fps']:.1f} = {c['fps'] / n['fps']:.3f}, composite cores {c['cpu_own_cores'] + c['cpu_children_cores']:.2f}")
try:
    import numpy as np
    from PIL import Image
    a = np.asarray(Image.open(f"{out}/frame100-decoder-nvdec.png")).astype(int)
    b = np.asarray(Image.open(f"{out}/frame100-decoder-ffmpeg.png")).astype(int)
    rows.append(f"decoder nvdec vs ffmpeg frame 100: max |diff| {abs(a-b).max()}, mean {abs(a-b).mean():.3f}")
    a = np.asarray(Image.open(f"{out}/frame100-gpu-resident.png")).astype(int)
    b = np.asarray(Image.open(f"{out}/frame100-native.png")).astype(int)
    rows.append(f"gpu-resident vs native frame 100: max |diff| {abs(a-b).max()}, mean {abs(a-b).mean():.3f}, >8: {(abs(a-b)>8).mean()*100:.3f} %")
except Exception as e:
    rows.append(f"frames not compared: {e}")
open(f"{out}/summary.txt", "w").write("\n".join(rows) + "\n")
print("\n".join(rows))
PY
rm -rf "$tmp"
