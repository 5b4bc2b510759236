#!/usr/bin/env python3
"""Instruction counts of the CPU kernels (kernels/src/main.rs, the nvviz-kernels crate) under valgrind's
callgrind, and the gate on them.

An instruction count is the same for the same binary and input whatever else the
machine is doing, so it gates where wall-clock timings on a shared 2-core runner
cannot. Each kernel runs once and three times; the difference over two is one
iteration's count, setup excluded.

  scripts/instructions.py measure OUT.json            (builds the example first)
  scripts/instructions.py compare BASELINE.json CURRENT.json [--threshold 2]
  scripts/instructions.py measure OUT.json --baseline BASELINE.json   (both)

compare exits 0 when no kernel grew beyond the threshold (percent), 1 when one
did, 2 when the files cannot be compared (another rustc or valgrind: counts of
another compiler's code are another benchmark — refresh the baseline with
`measure reports/baseline/instructions-ci-2core.json`). A kernel that shrank
beyond the threshold is reported (refresh the baseline to keep the gate tight).
"""
import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = "nvviz-bench.instructions"


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def cargo():
    return os.path.join(ROOT, "scripts", "cargo")


def count(binary, kernel, n):
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", binary, kernel, str(n)],
        capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"instructions.py: {kernel} x{n} failed under valgrind:\n{out.stderr[-2000:]}")
    m = re.search(r"Collected\s*:\s*(\d+)", out.stderr)
    if not m:
        sys.exit(f"instructions.py: no 'Collected' line from callgrind for {kernel}")
    return int(m.group(1))


def measure(path, only=None, opencv=False):
    # Its own crate: only the library's release build (the portable one CI's
    # tests and end-to-end stage made; with --opencv, the default build's) and
    # this small binary, none of the test dependencies.
    features = ["--features", "opencv"] if opencv else []
    sh(cargo(), "build", "--release", "--quiet", "-p", "nvviz-kernels", *features, cwd=ROOT)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    binary = os.path.join(target, "release", "nvviz-kernels")
    kernels = sh(binary, "--list").stdout.split()
    kernels_built = list(kernels)
    if only:
        unknown = set(only) - set(kernels)
        if unknown:
            sys.exit(f"instructions.py: no kernel {', '.join(sorted(unknown))} (--list names them)")
        kernels = [k for k in kernels if k in only]
    # Counts are exact whatever else runs, so every core counts one at a time.
    jobs = [(k, n) for k in kernels for n in (1, 3)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counted = dict(zip(jobs, pool.map(lambda job: count(binary, *job), jobs)))
    counts = {}
    for k in kernels:
        counts[k] = (counted[(k, 3)] - counted[(k, 1)]) // 2
        print(f"{k}: {counts[k]:,} instructions per 1080p frame", file=sys.stderr)
    try:
        commit = sh("git", "rev-parse", "--short=12", "HEAD", cwd=ROOT).stdout.strip()
    except subprocess.CalledProcessError:
        commit = "unknown"
    doc = {
        "schema": SCHEMA,
        "schema_version": 1,
        "what": "instructions per iteration (1080p frame, 10 persons) of kernels/src/main.rs, "
                "callgrind, (3 iterations - 1 iteration) / 2",
        "rustc": sh("rustc", "--version").stdout.strip(),
        "valgrind": sh("valgrind", "--version").stdout.strip(),
        "commit": commit,
        "selftest": bool(os.environ.get("NVVIZ_KERNELS_SELFTEST")),
        "only": only or [],
        # What this build can run (the OpenCV style's kernel only with --opencv).
        "available": kernels_built,
        "kernels": counts,
    }
    tmp = path + ".partial"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)
    return doc


def load(path):
    with open(path) as f:
        doc = json.load(f)
    if doc.get("schema") != SCHEMA:
        sys.exit(f"instructions.py: {path} is not an instructions file ({SCHEMA})")
    return doc


def compare(base, cur, threshold):
    for field in ("rustc", "valgrind"):
        if base[field] != cur[field]:
            print(f"cannot compare: the baseline was counted with {base[field]}, this with "
                  f"{cur[field]} (another compiler makes other code): refresh the baseline")
            return 2
    regressions = 0
    print(f"{'kernel':<18} {'baseline':>14} {'current':>14} {'change':>8}  verdict")
    for k, b in sorted(base["kernels"].items()):
        if cur.get("only") and k not in cur["only"]:
            continue
        if "available" in cur and k not in cur["available"]:
            print(f"{k:<18} {b:>14,} {'-':>14} {'-':>8}  not in this build (instructions.py measure --opencv)")
            continue
        c = cur["kernels"].get(k)
        if c is None:
            print(f"{k:<18} {b:>14,} {'-':>14} {'-':>8}  missing now")
            regressions += 1
            continue
        change = (c - b) / b * 100
        if change > threshold:
            verdict = f"REGRESSION (> +{threshold}%)"
            regressions += 1
        elif change < -threshold:
            verdict = "fewer (refresh the baseline to keep the gate tight)"
        else:
            verdict = "same"
        print(f"{k:<18} {b:>14,} {c:>14,} {change:>+7.2f}%  {verdict}")
    return 1 if regressions else 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("out")
    m.add_argument("--baseline")
    m.add_argument("--threshold", type=float, default=2.0)
    m.add_argument("--only", help="these kernels only, comma-separated")
    m.add_argument("--opencv", action="store_true",
                   help="build the kernels with OpenCV (adds overlay-opencv; CI counts the portable build)")
    c = sub.add_parser("compare")
    c.add_argument("baseline")
    c.add_argument("current")
    c.add_argument("--threshold", type=float, default=2.0)
    a = p.parse_args()
    if a.cmd == "measure":
        doc = measure(a.out, a.only.split(",") if a.only else None, a.opencv)
        if a.baseline:
            sys.exit(compare(load(a.baseline), doc, a.threshold))
    else:
        sys.exit(compare(load(a.baseline), load(a.current), a.threshold))


if __name__ == "__main__":
    main()
