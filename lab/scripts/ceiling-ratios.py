#!/usr/bin/env python3
"""Each `bench --interleave` file's cases over the encoder ceiling of the same
pipe format, paired by round (round k of each case ran together), with the
verdict on issue 15's target 2 (`nvenc` >= 0.95 x encoder-ceiling) by the
project's rule (lab/scripts/spread.py: met only when every round clears it), the
CPU our process used, and the most other processes used during a run and the
hypervisor stole (results from before `steal_cores`: "-").

    lab/scripts/ceiling-ratios.py BENCH.json [BENCH.json ...]
"""
import json
import statistics as st
import sys
from pathlib import Path

import spread
from bench_results import label, machine_line, over_ceiling, paired

GOAL = 0.95


def engine_label(config):
    e = config["engine"]
    return f"{e['kind']}, {e['workers']} overlay workers, nice {e['worker_nice']}"


def rows(bench):
    """(format, case label, ratios, own cores, others' cores at most, stolen at most, encoder)
    for every non-ceiling case."""
    for c, ceiling in over_ceiling(bench):
        runs = c["runs"] + ceiling["runs"]
        others = max((r.get("others_cores") or 0.0) for r in runs)
        stolen = [r["steal_cores"] for r in runs if r.get("steal_cores") is not None]
        stolen = f"{max(stolen):.2f}" if stolen else "-"
        enc = c["encoder"]
        fb = enc.get("fallback")
        used = f"{enc['used']} (fallback from {fb['from']}: {fb['cause']['cause']})" if fb else enc["used"]
        yield (c["pix_fmt"], label(c), paired(c, ceiling), st.mean(r["cpu_own_cores"] for r in c["runs"]), others,
               stolen, used)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for path in map(Path, sys.argv[1:]):
        bench = json.loads(path.read_text())
        if not bench["config"].get("interleave"):
            sys.exit(f"{path}: not run with --interleave: no per-round ratios (rerun with --interleave)")
        print(f"## {path.stem}: {engine_label(bench['config'])}")
        print()
        print(f"{machine_line(bench)}; {bench['workload']['frames']} frames a run")
        print()
        print(f"| format | case | fps ÷ encoder-ceiling, paired by round (mean ± sd, min–max) | verdict, ≥ {GOAL} "
              "| our process, cores | others, cores (most) | stolen, cores (most) | encoder |")
        print("|---|---|---|---|---|---|---|---|")
        for fmt, case, ratios, own, others, stolen, used in rows(bench):
            verdict = spread.at_least(ratios, GOAL) if case.startswith("nvenc") else ""
            print(f"| {fmt} | {case} | {spread.summary(ratios) if ratios else 'n/a'} | {verdict} "
                  f"| {own:.3f} | {others:.2f} | {stolen} | {used} |")
        print()


if __name__ == "__main__":
    main()
