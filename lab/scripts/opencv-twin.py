#!/usr/bin/env python3
"""The OpenCV style against the same drawing in OpenCV's Python bindings.

`kernels/src/main.rs --dump` writes the 1080p frame the kernels draw (10
persons) and its layout; this script draws that layout with cv2 exactly as
`src/overlay/opencv.rs` does (after AlphAction's demo/fast_visualizer.py:
rectangle, putText with LINE_8 and thickness max(int(scale*2), 1),
addWeighted restricted to each caption's panel), checks the two drawings are
byte-identical, then times both in alternating rounds, each iteration a fresh
copy of the frame and one full drawing:

    lab/scripts/opencv-twin.py --kernels target/release/nvviz-kernels --rounds 5 --iterations 300

Needs numpy and cv2 (Debian: python3-opencv, run with /usr/bin/python3).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np


def draw(frame, lay, text, box_bgr, text_bgr, alpha):
    h, w = frame.shape[:2]
    bw = lay["box_width"]
    for person in lay["persons"]:
        r = person["outline"]
        x0, y0 = r["x0"] + bw // 2, r["y0"] + bw // 2
        x1, y1 = r["x1"] - (bw + 1) // 2, r["y1"] - (bw + 1) // 2
        # cv::Rect(x, y, w, h) drawn as corners (x, y)-(x + w - 1, y + h - 1)
        cv2.rectangle(frame, (x0, y0), (x1 - 1, y1 - 1), box_bgr, bw, cv2.LINE_8)
        for c in person["captions"]:
            caption(frame, c, w, h, text, text_bgr, alpha)
    caption(frame, lay["timestamp"], w, h, text, text_bgr, alpha)


def caption(frame, c, w, h, text, text_bgr, alpha):
    p = c["panel"]
    x0, y0, x1, y1 = max(p["x0"], 0), max(p["y0"], 0), min(p["x1"], w), min(p["y1"], h)
    if x0 >= x1 or y0 >= y1:
        return
    roi = frame[y0:y1, x0:x1]
    overlay = roi.copy()
    rgb = c["color"]
    cv2.rectangle(overlay, (0, 0), (x1 - x0 - 1, y1 - y0 - 1), (rgb[2], rgb[1], rgb[0]), cv2.FILLED, cv2.LINE_8)
    origin = (c["text_x"] - x0, c["text_y"] - y0 + text["ascent"])
    (tw, _), _ = cv2.getTextSize(c["text"], cv2.FONT_HERSHEY_SIMPLEX, text["scale"], text["thickness"])
    room = (p["x1"] - p["x0"]) - 2 * (c["text_x"] - p["x0"])
    scale = text["scale"] * room / tw if tw > 0 and tw > room else text["scale"]
    cv2.putText(overlay, c["text"], origin, cv2.FONT_HERSHEY_SIMPLEX, scale, text_bgr, text["thickness"], cv2.LINE_8, False)
    cv2.addWeighted(overlay, alpha, roi, 1.0 - alpha, 0.0, dst=roi)


def python_round(base, lay, text, box_bgr, text_bgr, alpha, n):
    start = time.perf_counter()
    for _ in range(n):
        frame = base.copy()
        draw(frame, lay, text, box_bgr, text_bgr, alpha)
    return (time.perf_counter() - start) * 1e3 / n


def rust_round(kernels, n):
    """The kernel's loop alone: a run of n less a run of 0 (start-up, the frame's making)."""
    def wall(k):
        start = time.perf_counter()
        subprocess.run([kernels, "overlay-opencv", str(k)], check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start
    return (wall(n) - wall(0)) * 1e3 / n


def spread(xs):
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"{statistics.mean(xs):.2f} ± {sd:.2f} ({min(xs):.2f}–{max(xs):.2f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernels", required=True, help="the built nvviz-kernels binary (with OpenCV)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--out", help="write every round as JSON here")
    a = ap.parse_args()
    prefix = os.path.join(tempfile.mkdtemp(prefix="opencv-twin-"), "frame")
    subprocess.run([a.kernels, "--dump", prefix], check=True)
    meta = json.load(open(prefix + ".json"))
    w, h = meta["width"], meta["height"]
    base = np.fromfile(prefix + ".bgr", dtype=np.uint8).reshape(h, w, 3)
    lay, text = meta["layout"], meta["hershey_text"]
    box_bgr = tuple(int(v) for v in meta["box_color_rgb"][::-1])
    text_bgr = tuple(int(v) for v in meta["text_color_rgb"][::-1])
    alpha = meta["overlay_alpha"] / 255.0
    if not os.path.exists(prefix + ".opencv.bgr"):
        sys.exit("this kernels binary has no OpenCV (build with the default features)")
    ours = np.fromfile(prefix + ".opencv.bgr", dtype=np.uint8).reshape(h, w, 3)
    twin = base.copy()
    draw(twin, lay, text, box_bgr, text_bgr, alpha)
    differ = int(np.count_nonzero(np.any(twin != ours, axis=2)))
    rounds = []
    for r in range(a.rounds):
        order = ["python", "rust"] if r % 2 == 0 else ["rust", "python"]
        got = {}
        for side in order:
            got[side] = (python_round(base, lay, text, box_bgr, text_bgr, alpha, a.iterations)
                         if side == "python" else rust_round(a.kernels, a.iterations))
        got["ratio"] = got["rust"] / got["python"]
        rounds.append(got)
        print(f"round {r + 1}/{a.rounds}: python {got['python']:.2f} ms, nvviz-bench {got['rust']:.2f} ms", file=sys.stderr)
    py = [x["python"] for x in rounds]
    rs = [x["rust"] for x in rounds]
    ratio = [x["ratio"] for x in rounds]
    print(f"# The OpenCV style vs the same drawing in Python's cv2 — {w}x{h}, {len(lay['persons'])} persons, "
          f"{a.iterations} iterations a round (copy + draw), {a.rounds} rounds alternated")
    print(f"# cv2 {cv2.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print(f"- pixels that differ between the two drawings: {differ} of {w * h}")
    print(f"- Python cv2: {spread(py)} ms a frame")
    print(f"- nvviz-bench opencv style: {spread(rs)} ms a frame")
    print(f"- nvviz-bench ÷ Python, round by round: {spread(ratio)} "
          f"({'no slower in every round' if max(ratio) <= 1.0 else 'slower in some round'})")
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"cv2": cv2.__version__, "cores": os.cpu_count(), "iterations": a.iterations,
                       "pixels_differing": differ, "rounds": rounds}, f, indent=1)


if __name__ == "__main__":
    main()
