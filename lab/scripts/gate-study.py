#!/usr/bin/env python3
"""Summarises a gate study (lab/scripts/gate-study.sh): per case, how much the
absolute fps and the in-run ratio of one commit move from run to run, how much
the instruction counts do, and the real gate's verdicts (`nvviz-bench compare`)
of every run against the first at several thresholds.

  lab/scripts/gate-study.py OUTDIR [NVVIZ_BIN]   > OUTDIR/study.md
"""
import glob
import json
import os
import re
import statistics
import subprocess
import sys

out = sys.argv[1]
binary = sys.argv[2] if len(sys.argv) > 2 else "target/release/nvviz-bench"


def key(path):
    return int(re.search(r"-(\d+)\.json$", path).group(1))


runs = sorted(glob.glob(os.path.join(out, "run-*.json")), key=key)
instr = sorted(glob.glob(os.path.join(out, "instructions-*.json")), key=key)
if len(runs) < 2:
    sys.exit("gate-study.py: need at least two run-K.json files")
docs = [json.load(open(p)) for p in runs]


def spread(values):
    """(mean, coefficient of variation %, largest deviation from the mean %)."""
    m = statistics.mean(values)
    cv = statistics.stdev(values) / m * 100 if len(values) > 1 and m else 0.0
    worst = max(abs(v - m) / m * 100 for v in values) if m else 0.0
    return m, cv, worst


env = docs[0]["environment"]
print("# Gate study: one commit, many runs, on one machine type\n")
print(f"- machine: {env['host']['cpu_model']}, {env['host']['logical_cores']} cores, "
      f"{', '.join(env['gpus']) or 'no GPU'}; ffmpeg {env.get('ffmpeg_version')}")
print(f"- nvviz-bench {env['tool_version']} (commit {env['git_commit']}); {len(runs)} runs of "
      "`scripts/ci-bench.sh` (640x360, 300 frames, 3 interleaved rounds a run), "
      f"{len(instr)} instruction counts")
loaded_path = os.path.join(out, "loaded.txt")
loaded = open(loaded_path).read().split() if os.path.exists(loaded_path) else []
if loaded:
    print(f"- runs {', '.join(loaded)} ran beside a busy neighbour (one core spinning the whole run): "
          "a shared runner's bad hour")
print("- per case, across runs: the mean of the run means, their coefficient of variation (CV) "
      "and the largest deviation of one run's mean from the mean of all\n")

print("## Absolute fps vs in-run ratio\n")
print("| case | fps mean | fps CV | fps worst | ratio reference | ratio mean | ratio CV | ratio worst |")
print("|---|---|---|---|---|---|---|---|")
ids = [c["id"] for c in docs[0]["cases"] if c["status"] == "ok"]
cv_fps, cv_ratio = [], []
for cid in ids:
    cases = [next((c for c in d["cases"] if c["id"] == cid), None) for d in docs]
    fps = [c["fps"]["mean"] for c in cases if c and c.get("fps")]
    ratios = [c["relative"]["ratio"]["mean"] for c in cases if c and c.get("relative")]
    fm, fcv, fw = spread(fps)
    cv_fps.append(fcv)
    if len(ratios) == len(fps) and ratios:
        rm, rcv, rw = spread(ratios)
        cv_ratio.append(rcv)
        ref = cases[0]["relative"]["reference"]
        print(f"| {cid} | {fm:.1f} | {fcv:.1f}% | {fw:.1f}% | {ref} | {rm:.3f} | {rcv:.1f}% | {rw:.1f}% |")
    else:
        print(f"| {cid} | {fm:.1f} | {fcv:.1f}% | {fw:.1f}% | - | - | - | - |")
print()
print(f"Median CV across cases: absolute fps {statistics.median(cv_fps):.1f}%, "
      f"in-run ratios {statistics.median(cv_ratio):.1f}%.\n" if cv_ratio else "")

if instr:
    print("## Instruction counts (callgrind, per 1080p frame)\n")
    idocs = [json.load(open(p)) for p in instr]
    print("| kernel | mean | CV | worst |")
    print("|---|---|---|---|")
    for k in sorted(idocs[0]["kernels"]):
        m, cv, w = spread([d["kernels"][k] for d in idocs])
        print(f"| {k} | {m:,.0f} | {cv:.4f}% | {w:.4f}% |")
    print()

print("## The gate's verdicts on unchanged code: every run against every other\n")
pairs = [(a, b) for a in runs for b in runs if a != b]
print(f"Each cell: how many of the {len(pairs)} ordered pairs of runs (baseline, current) the real "
      "gate (`nvviz-bench compare`) failed — its false-positive rate on unchanged code. "
      "\"writer-path cases out\" leaves `original/*` and `fast/*` out (`--exclude`): their ratios "
      "move as much as their fps (the table above).\n")
thresholds = ["2%", "5%", "10%", "15%", "20%"]
print("| metric | cases | " + " | ".join(thresholds) + " |")
print("|---|---|" + "---|" * len(thresholds))
EXCLUDE = ["--exclude", "original/*", "--exclude", "fast/*"]
# The CI gate's own cases (reports/baseline/gate.args): the ratios that stay put.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
gate_args = open(os.path.join(ROOT, "reports", "baseline", "gate.args")).read().split()
GATED = [a for i, a in enumerate(gate_args)
         if a == "--exclude" or (i > 0 and gate_args[i - 1] == "--exclude")]


def row(metric, label, extra):
    cells = []
    for t in thresholds:
        fails = 0
        for base, cur in pairs:
            res = subprocess.run([binary, "compare", "--metric", metric, "--threshold", t,
                                  "--allow-env-mismatch", *extra, base, cur], capture_output=True)
            fails += res.returncode == 1
        cells.append(f"{fails}/{len(pairs)}")
    print(f"| {metric} | {label} | " + " | ".join(cells) + " |")


for metric in ["fps", "ratio"]:
    row(metric, "all", [])
    row(metric, "writer-path cases out", EXCLUDE)
row("ratio", "the CI gate's cases (`" + " ".join(GATED) + "`)", GATED)
print()
print("The CI gate (`reports/baseline/gate.args`): `" + " ".join(gate_args) + "`.")
print()
