#!/usr/bin/env python3
"""Where nvenc mode's gap to the encoder ceiling goes (issue 15, target 2).

Reads one machine's `lab/scripts/intake-study.py --splice --copier --cat --stdin-file
--encode ...` file and a `bench --modes nvenc,encode-only,encoder-ceiling
--interleave` file from the same hour, and prints:

1. the transport with the writer's work taken away: ffmpeg + the encoder fed by
   splice(2) from the page-cached file (the pipe carries the file's own pages;
   the writer copies nothing) over the same ffmpeg reading the file, paired by
   round; beside it `cat` (one copy a byte) and the file read beside a process
   copying as fast as it can (one busy core, no pipe);
2. the tool's cases over the ceiling, paired by round, with the CPU our process
   used (cores) and what that CPU predicts if each core of it costs the encoder
   what the copier's core cost it: predicted = 1 - own cores x (1 - copier ratio).

    lab/scripts/ideal-writer-model.py INTAKE.json BENCH.json
"""
import json
import statistics as st
import sys

from bench_results import label, machine_line, over_ceiling, paired
from spread import summary as spread


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    intake = json.load(open(sys.argv[1]))
    bench = json.load(open(sys.argv[2]))
    rows = {(r["pix_fmt"], r["source"]): r for r in intake["rows"]}
    fmts = sorted({f for f, _ in rows}, key=lambda f: f != "bgr24")
    print(f"# {intake['ffmpeg']}; {intake['cores']} cores; {intake['frames']} frames a run; "
          f"encoder arguments `{intake['encode']}`")
    print()
    print("| format | source | × file, paired by round (mean ± sd, min–max) | writer CPU ms a frame |")
    print("|---|---|---|---|")
    copier_cost = {}
    for f in fmts:
        for src in ("splice", "stdin-file", "cat", "file beside a copier"):
            r = rows.get((f, src))
            if not r:
                continue
            cpu = [x["writer_cpu_ms_per_frame"] for x in r["rounds"] if "writer_cpu_ms_per_frame" in x]
            print(f"| {f} | {src} | {spread(r['over_file'])} | {f'{st.mean(cpu):.3f}' if cpu else '-'} |")
            if src == "file beside a copier":
                copier_cost[f] = 1 - st.mean(r["over_file"])
    print()
    print(f"# {machine_line(bench)}")
    print()
    print("| format | case | fps over encoder-ceiling, paired by run (mean ± sd, min–max) "
          "| our process, cores | predicted by the copier's cost a core |")
    print("|---|---|---|---|---|")
    pairs = {(c["mode"], c["pix_fmt"]): (c, ceiling) for c, ceiling in over_ceiling(bench)}
    for f in fmts:
        for mode in ("nvenc", "encode-only"):
            if (mode, f) not in pairs:
                continue
            c, ceiling = pairs[(mode, f)]
            own = st.mean(r["cpu_own_cores"] for r in c["runs"])
            predicted = f"{1 - own * copier_cost[f]:.3f}" if f in copier_cost else "-"
            print(f"| {f} | {label(c)} | {spread(paired(c, ceiling))} | {own:.3f} | {predicted} |")


if __name__ == "__main__":
    main()
