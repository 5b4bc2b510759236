#!/usr/bin/env python3
"""Prints the pipelined engine's targets as a markdown table from a
lab/scripts/perf-run.sh OUTDIR (results schema versions 2 to 4: every field read is a
typed field of the results, never a part of a case id).

Verdicts follow from the spread, not the mean: a ratio target is "met" only
when the lowest per-round ratio (interleaved runs: round k of each case ran
together) clears it; "not met" when even the highest does not; "not resolved"
when the rounds straddle the target. A figure with no per-round spread (a
single run, or runs not interleaved) is "not resolved" unless it clears the
target by more than the machines' 10-30 % run-to-run noise allows to doubt."""
import json
import sys
from pathlib import Path

import spread as rule
from bench_results import paired

out = Path(sys.argv[1])


INTERLEAVED = set()


def cases(name):
    path = out / f"{name}.json"
    if not path.exists():
        return {}
    results = json.loads(path.read_text())
    # Every field read here is in versions 2 to 4 alike (3 typed the stand-in,
    # 4 the ceiling's input); tests/suite/scripts.rs runs this on the current binary's output.
    if results.get("schema_version") not in (2, 3, 4):
        sys.exit(f"{path}: results schema version {results.get('schema_version')}; this script reads versions 2 to 4")
    cs = {c["id"]: c for c in results["cases"]}
    if results["config"].get("interleave"):
        INTERLEAVED.update(id(c) for c in cs.values())
    return cs


def fps(c):
    return c["fps"]["mean"] if c and c.get("status") == "ok" and c.get("fps") else None


def find(cs, mode, pix=None, overlay=None, sessions=1):
    """The case of this mode, pipe format (None: the guide's bgr24 or no pipe) and overlay."""
    for c in cs.values():
        if c["mode"] != mode or (overlay and c.get("overlay") != overlay):
            continue
        if c.get("sessions", 1) != sessions:
            continue
        if c.get("pix_fmt") in (None, "bgr24") if pix is None else c.get("pix_fmt") == pix:
            return c
    return None


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "n/a"


def round_ratios(a, b):
    """Ratios run by run: with --interleave run k of each case ran in round k."""
    if id(a) not in INTERLEAVED or id(b) not in INTERLEAVED:
        return []
    return sorted(paired(a, b))


def rounds(a, b):
    rs = round_ratios(a, b)
    return f" (rounds {rs[0]:.2f}–{rs[-1]:.2f})" if rs else ""


def verdict_at_least(value, goal, spread=()):
    """'met' only when the spread's lower bound clears the goal (lab/scripts/spread.py's
    rule); a figure with no per-round spread only when it clears it by the noise."""
    if value is None:
        return "not measured"
    if spread:
        return rule.at_least(list(spread), goal)
    if value >= goal * 1.3:
        return "**met**"
    return "not met" if value < goal else "not resolved (no per-round spread)"


def verdict_at_most(value, goal, spread=()):
    if value is None:
        return "not measured"
    if spread:
        return rule.at_most(list(spread), goal)
    return "**met**" if value <= goal else "not met"


def split(c):
    got = {r.get("split") for r in (c or {}).get("runs") or []} - {None}
    return f", split by {'/'.join(sorted(got))}" if got else ""


def enc(c):
    if not c:
        return "?"
    e = c["encoder"]
    used = e.get("used") or "?"
    fb = e.get("fallback")
    return f"{used} (fallback from {fb['from']}: {fb['cause']['cause']})" if fb else used


rows = []
for engine in ("pipelined", "sequential"):
    cs = cases(f"engine-{engine}")
    for pix in (None, "yuv420p"):
        label = pix or "bgr24"
        n, nv, eo = find(cs, "native", pix), find(cs, "nvenc", pix), find(cs, "encode-only", pix)
        ceil = find(cs, "encoder-ceiling")
        def at_least(a, b, goal):
            r = fps(a) / fps(b) if fps(a) and fps(b) else None
            return verdict_at_least(r, goal, round_ratios(a, b))
        if not cs:
            continue
        rows.append((f"1. nvenc mode / encode-only ({engine}, {label}{split(nv)})",
                     f"{fps(nv) or 0:.1f} / {fps(eo) or 0:.1f} fps", ratio(fps(nv), fps(eo)) + rounds(nv, eo), "≥ 0.95",
                     at_least(nv, eo, 0.95), enc(eo)))
        rows.append((f"1. native mode / encode-only ({engine}, {label}{split(n)})",
                     f"{fps(n) or 0:.1f} / {fps(eo) or 0:.1f} fps", ratio(fps(n), fps(eo)) + rounds(n, eo), "≥ 0.95",
                     at_least(n, eo, 0.95), enc(eo)))
        # Against the ceiling of the same format on the wire, and of the guide's bgr24.
        for ceil_pix in dict.fromkeys((pix, None)):
            ceil = find(cs, "encoder-ceiling", ceil_pix)
            rows.append((f"4. encode-only {label} / encoder-ceiling {ceil_pix or 'bgr24'} ({engine})",
                         f"{fps(eo) or 0:.1f} / {fps(ceil) or 0:.1f} fps", ratio(fps(eo), fps(ceil)) + rounds(eo, ceil), "≥ 0.8",
                         at_least(eo, ceil, 0.8), enc(ceil)))
ov = cases("overlay")
ms = {k: (find(ov, "overlay-only", overlay=k) or {}).get("stages_ms_per_frame") for k in ("native", "opencv", "pillow")}
per = {k: (v["overlay"] + v["conversion"]) if v else None for k, v in ms.items()}
def overlay_runs(kind):
    c = find(ov, "overlay-only", overlay=kind)
    return [r["stages_ms_per_frame"]["overlay"] + r["stages_ms_per_frame"]["conversion"] for r in (c or {}).get("runs") or []]


if ov:
    nat = overlay_runs("native")
    rows.append(("2. native overlay ms/frame (1080p, 10 persons)",
                 f"{per['native']:.2f} ms" if per["native"] else "n/a",
                 f"runs {min(nat):.2f}–{max(nat):.2f}" if nat else "", "≤ 1 ms (H100)",
                 verdict_at_most(per["native"], 1.0, nat), ""))
    if per["opencv"] and per["native"]:
        oc = overlay_runs("opencv")
        spread = [a / b for a, b in zip(oc, nat)] if len(oc) == len(nat) else []
        rows.append(("2. opencv / native overlay time", f"{per['opencv']:.2f} / {per['native']:.2f} ms",
                     ratio(per["opencv"], per["native"]) + (f" (rounds {min(spread):.1f}–{max(spread):.1f})" if spread else ""),
                     "≥ 3", verdict_at_least(per["opencv"] / per["native"], 3.0, spread), ""))
    if per["pillow"]:
        rows.append(("5. pillow (original) overlay ms/frame", f"{per['pillow']:.1f} ms", "", "", "", ""))
rss = cases("rss-3000")
for c in rss.values():
    peak = max((r["max_rss_mib"] for r in c.get("runs", [])), default=None)
    scope = {r.get("rss_scope") for r in c.get("runs", [])}
    first = [r.get("first_frame_ms") for r in c.get("runs", []) if r.get("first_frame_ms")]
    rows.append(("3. peak RSS, 3000 frames 1080p (" + "/".join(sorted(s for s in scope if s)) + " peak)",
                 f"{peak:.0f} MiB" if peak else "n/a", "", "≤ 300 MB",
                 verdict_at_most(peak * 1.048576 if peak else None, 300.0), enc(c)))
    if first:
        rows.append(("time to first encoded frame", f"{first[0]:.0f} ms", "", "", "", enc(c)))
# Every run's own peak, in every file: the largest, against the same bound.
all_peaks = [(r["max_rss_mib"], name, c["id"]) for name in ("engine-pipelined", "engine-sequential", "overlay", "rss-3000", "sessions")
             for c in cases(name).values() for r in c.get("runs") or [] if r.get("rss_scope") == "run"]
if all_peaks:
    peak, name, case_id = max(all_peaks)
    rows.append(("3. peak RSS of every run in this directory (each run's own peak)", f"{peak:.0f} MiB",
                 f"{name}: {case_id}", "≤ 300 MB", verdict_at_most(peak * 1.048576, 300.0), ""))
ss = cases("sessions")
for id_, c in ss.items():
    streams = [f"{x:.1f}" for x in (c.get("runs") or [{}])[0].get("stream_fps", [])]
    rows.append((f"sessions: {id_}", f"{fps(c) or 0:.1f} fps aggregate", " + ".join(streams), "", "", enc(c)))

print("| target | measured | ratio / spread | goal | verdict | encoder |")
print("|---|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")

print()
print("Where time goes, per stage (ms per frame; in the pipelined engine stages overlap,")
print("so their sum exceeds the frame time; `write` is time blocked handing frames to ffmpeg):")
print()
print("| engine | case | fps (runs) | input | overlay | conversion | write | finalize | own cores | ffmpeg cores |")
print("|---|---|---|---|---|---|---|---|---|---|")
for engine in ("sequential", "pipelined"):
    for id_, c in cases(f"engine-{engine}").items():
        s = c.get("stages_ms_per_frame") or {}
        runs = c.get("runs") or []
        own = sum(r["cpu_own_cores"] for r in runs) / max(len(runs), 1)
        ff = sum((r.get("cpu_children_cores") or 0) for r in runs) / max(len(runs), 1)
        per_run = ", ".join(f"{r['fps']:.0f}" for r in runs)
        cells = [f"{s.get(k, 0):.2f}" for k in ("input", "overlay", "conversion", "write", "finalize")]
        print(f"| {engine} | {id_} | {fps(c) or 0:.1f} ({per_run}) | " + " | ".join(cells) + f" | {own:.2f} | {ff:.2f} |")

probe = out / "pipe-probe.json"
if probe.exists():
    p = json.loads(probe.read_text())
    print()
    print(f"ffmpeg alone reading the same raw frames (testsrc2) from a file and from pipes, "
          f"best of {len(p['rows'][0]['fps']['file']) if p['rows'] else 0} rounds (lab/scripts/pipe-probe.py):")
    print()
    print("| pipe format | file | pipe, 64 KiB (`cat`) | pipe, enlarged to a frame |")
    print("|---|---|---|---|")
    for r in p["rows"]:
        best = {k: max(v) for k, v in r["fps"].items()}
        cells = [f"{best[k]:.1f} fps ({best[k] / best['file']:.2f})" for k in ("file", "pipe-64k", "pipe-big")]
        print(f"| {r['pix_fmt']} {r['size']} | " + " | ".join(cells) + " |")
