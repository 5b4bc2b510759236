#!/usr/bin/env bash
# `render --decoder nvdec` against the same render on the same frames
# decoded before the run (`--preload`), rounds interleaved, on a lent GPU
# machine: issue 31's "at least the pre-decoded fps" (lent-in-process.sh
# runs it with everything else). With NVVIZ_GAP=1, also where the NVDEC
# render loses: the same at 600 frames (a start-up or teardown cost shrinks
# with length, a per-frame one does not), `bench` with a warm-up through the
# encoder and without it (`overlay-only`: reader and overlay alone), and the
# render with the driver's modules loaded eagerly. NVVIZ_LENGTHS="300 600"
# sets the renders' lengths. Each pair of renders runs back to back, which
# of the two first alternating by round. NVVIZ_ROUNDS (5) quiet rounds are
# wanted: a round where the tool flagged a render (other processes or the
# hypervisor's steal: its "rerun on a quiet machine") is kept and another
# round run, up to twice NVVIZ_ROUNDS in all. `summary.txt`
# (lab/scripts/nvdec-preload-summary.py): each round's ratio, why a round
# was flagged, and the verdicts, then every run's fps, wall and stages.
#
#   lab/scripts/lent-nvdec-preload.sh OUTDIR   (after . scripts/lent-env.sh)
set -uo pipefail
out=${1:?usage: lent-nvdec-preload.sh OUTDIR}
gap=${NVVIZ_GAP:-0}
if [ "$gap" = 1 ]; then lengths=(300 600); else lengths=(300); fi
read -r -a lengths <<<"${NVVIZ_LENGTHS:-${lengths[*]}}"
study_clip "$out" 700
source_of() { if [ "$1" = preload ]; then echo --preload; else echo --decoder nvdec; fi; }
summary="$(dirname "$0")/nvdec-preload-summary.py"
want=${NVVIZ_ROUNDS:-5} quiet=0 r=0
while [ "$quiet" -lt "$want" ] && [ "$r" -lt $((2 * want)) ]; do
  r=$((r + 1))
  # The two renders of a pair back to back, their order swapped every round,
  # so that the machine's drift favours neither.
  if [ $((r % 2)) -eq 1 ]; then order=(nvdec preload); else order=(preload nvdec); fi
  for n in "${lengths[@]}"; do
    for dec in "${order[@]}"; do
      read -r -a src <<<"$(source_of "$dec")"
      nvviz-bench render --video "$clip" "${src[@]}" --mode native --frames "$n" -o "$tmp/o.mp4" \
        --export-json "$out/render$n-$dec-r$r.json" > "$out/render$n-$dec-r$r.txt" 2>&1
    done
  done
  python3 "$summary" --disturbed "$out" "$r" || quiet=$((quiet + 1))
  [ "$gap" = 1 ] || continue
  for dec in "${order[@]}"; do
    read -r -a src <<<"$(source_of "$dec")"
    nvviz-bench bench --video "$clip" "${src[@]}" --modes native,overlay-only --frames 300 --warmup 30 \
      --runs 1 -q --export-json "$out/bench-$dec-r$r.json" > "$out/bench-$dec-r$r.txt" 2>&1
  done
  CUDA_MODULE_LOADING=EAGER nvviz-bench render --video "$clip" --decoder nvdec --mode native --frames 300 \
    -o "$tmp/o.mp4" --export-json "$out/render300-eager-r$r.json" > "$out/render300-eager-r$r.txt" 2>&1
done
python3 "$summary" "$out" | tee "$out/summary.txt"
rm -rf "$tmp"
