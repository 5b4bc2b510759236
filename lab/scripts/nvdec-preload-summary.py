"""The summary of lab/scripts/lent-nvdec-preload.sh's runs in DIR: for each
render length, each round's `render --decoder nvdec` fps over the same render
on `--preload` frames and what its decoding cost, with issue 31's verdicts by
the project's rule (lab/scripts/spread.py: met only when every round clears
the target); then every run's fps, wall, stages and CPU.

    python3 lab/scripts/nvdec-preload-summary.py DIR   (prints; the script tees it to DIR/summary.txt)
"""
import glob
import json
import os
import re
import sys

import spread

out = sys.argv[1]


def first_run(path):
    return json.load(open(path))["cases"][0]["runs"][0]


pairs = {}
for path in glob.glob(f"{out}/render*-nvdec-r*.json"):
    m = re.fullmatch(r"render(\d+)-nvdec-r(\d+)\.json", os.path.basename(path))
    other = path.replace("-nvdec-", "-preload-")
    if m and os.path.exists(other):
        pairs.setdefault(int(m[1]), []).append((int(m[2]), first_run(path), first_run(other)))
for length in sorted(pairs):
    rounds = sorted(pairs[length], key=lambda p: p[0])
    ratios, costs = [], []
    print(f"{length} frames a render:")
    for r, n, p in rounds:
        ratio, cost = n["fps"] / p["fps"], n["decode"]["cpu_ms_per_frame"]
        ratios.append(ratio)
        costs.append(cost)
        # The decoder that ran: `--decoder nvdec` falls back where NVDEC cannot.
        print(f"  round {r}: --decoder nvdec ({n['decode']['decoder']} ran) {n['fps']:.1f} fps "
              f"({cost:.2f} core-ms a frame decoding), preload {p['fps']:.1f} fps: {ratio:.3f}")
    fell_back = sorted({n["decode"]["decoder"] for _, n, _ in rounds} - {"nvdec"})
    if fell_back:
        print(f"  not NVDEC's verdict: {', '.join(fell_back)} decoded in its place")
    print(f"  nvdec / preload: {spread.summary(ratios)}; at least 1: {spread.at_least(ratios, 1.0)}")
    print(f"  decoding, core-ms a frame: {spread.summary(costs)}; at most 1: {spread.at_most(costs, 1.0)}")
for path in sorted(glob.glob(f"{out}/*.json")):
    for case in json.load(open(path))["cases"]:
        for run in case["runs"]:
            s = run["stages_ms_per_frame"]
            dec = (run.get("decode") or {}).get("cpu_ms_per_frame")
            dec = "-" if dec is None else f"{dec:.2f}"
            first = run.get("first_frame_ms")
            first = "-" if first is None else f"{first:.0f}"
            print(f"{os.path.basename(path):28} {case['mode']:13} {case['overlay'] or '-':7} "
                  f"fps {run['fps']:7.1f} wall {run['wall_s']:.3f} "
                  f"input {s['input']:.2f} overlay {s['overlay']:.2f} write {s['write']:.2f} "
                  f"own {run['cpu_own_cores']:.2f} ffmpeg {run.get('cpu_children_cores') or 0:.2f} "
                  f"decode {dec} writer-idle {1000 / run['fps'] - s['write'] - s['finalize']:.2f} "
                  f"first-frame-ms {first}")
