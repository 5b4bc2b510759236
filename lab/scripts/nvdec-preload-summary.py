"""The summary of lab/scripts/lent-nvdec-preload.sh's runs in DIR: for each
render length, each round's `render --decoder nvdec` fps over the same render
on `--preload` frames and what its decoding cost, with issue 31's verdicts by
the project's rule (lab/scripts/spread.py: met only when every round clears
the target); then every run's fps, wall, stages and CPU.

A round where the tool flagged either render (other processes or the
hypervisor's steal at `spread.BUSY_CORES` or more: its own "rerun on a quiet
machine") is marked with why, and the ratio's verdict is given twice: over
the quiet rounds, and over every round.

    python3 lab/scripts/nvdec-preload-summary.py DIR   (prints; the script tees it to DIR/summary.txt)
    python3 lab/scripts/nvdec-preload-summary.py --disturbed DIR ROUND
        exits 0 where a render of ROUND in DIR was flagged (the lent script reruns it), 1 where none was
"""
import glob
import json
import os
import re
import sys

import spread

def first_run(path):
    return json.load(open(path))["cases"][0]["runs"][0]


def round_disturbance(n, p):
    """Why a round's pair is flagged, naming the render, or None."""
    why = [f"{name} render {flag}" for name, run in (("nvdec", n), ("preload", p))
           if (flag := spread.disturbance(run))]
    return "; ".join(why) or None


if sys.argv[1] == "--disturbed":
    out, r = sys.argv[2], sys.argv[3]
    runs = [first_run(p) for source in ("nvdec", "preload") for p in glob.glob(f"{out}/render*-{source}-r{r}.json")]
    sys.exit(0 if any(spread.disturbance(run) for run in runs) else 1)
out = sys.argv[1]
pairs = {}
for path in glob.glob(f"{out}/render*-nvdec-r*.json"):
    m = re.fullmatch(r"render(\d+)-nvdec-r(\d+)\.json", os.path.basename(path))
    # The pre-decoded render of the same length and round, beside it (the
    # directory's own name may hold "-nvdec-").
    other = os.path.join(os.path.dirname(path), os.path.basename(path).replace("-nvdec-", "-preload-"))
    if m and os.path.exists(other):
        pairs.setdefault(int(m[1]), []).append((int(m[2]), first_run(path), first_run(other)))
for length in sorted(pairs):
    rounds = sorted(pairs[length], key=lambda p: p[0])
    ratios, quiet, costs = [], [], []
    print(f"{length} frames a render:")
    for r, n, p in rounds:
        ratio, cost = n["fps"] / p["fps"], n["decode"]["cpu_ms_per_frame"]
        ratios.append(ratio)
        costs.append(cost)
        why = round_disturbance(n, p)
        if not why:
            quiet.append(ratio)
        # The decoder that ran: `--decoder nvdec` falls back where NVDEC cannot.
        print(f"  round {r}: --decoder nvdec ({n['decode']['decoder']} ran) {n['fps']:.1f} fps "
              f"({cost:.2f} core-ms a frame decoding), preload {p['fps']:.1f} fps: {ratio:.3f}"
              + (f" (flagged: {why})" if why else ""))
    fell_back = sorted({n["decode"]["decoder"] for _, n, _ in rounds} - {"nvdec"})
    if fell_back:
        print(f"  not NVDEC's verdict: {', '.join(fell_back)} decoded in its place")
    if len(quiet) < len(ratios):
        print(f"  nvdec / preload, the {len(quiet)} quiet rounds: "
              + (f"{spread.summary(quiet)}; " if quiet else "") + f"at least 1: {spread.at_least(quiet, 1.0)}")
    print(f"  nvdec / preload, every round: {spread.summary(ratios)}; at least 1: {spread.at_least(ratios, 1.0)}")
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
