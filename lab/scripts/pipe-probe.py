#!/usr/bin/env python3
"""Is ffmpeg slower reading raw frames from a pipe than from a file?

Takes the encode-only commands a `bench` run recorded (results JSON), and runs
each with the same frames three ways, round-robin:
  file       ffmpeg reads a raw file (as the encoder-ceiling case does)
  pipe-64k   `cat FILE | ffmpeg -i -`: Linux's default 64 KiB pipe
  pipe-big   a writer that enlarges the pipe to a whole frame (as nvviz-bench
             does) and writes frame by frame
The frames are ffmpeg's testsrc2 at the run's size (the same for every way; no
work in the writer), so the difference is the pipe alone.

Usage: lab/scripts/pipe-probe.py FFMPEG RESULTS.json OUT.json [FRAMES] [REPS]
"""
import fcntl
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

F_SETPIPE_SZ = 1031


def frame_bytes(pix_fmt, w, h):
    return {"bgr24": w * h * 3, "bgr0": w * h * 4, "bgra": w * h * 4,
            "yuv420p": w * h * 3 // 2}[pix_fmt]


def arg_after(cmd, flag):
    return cmd[cmd.index(flag) + 1]


def timed(argv, feed=None, stdin_file=None, pipe_size=None, frame=0):
    """Seconds from start to ffmpeg's exit."""
    t = time.perf_counter()
    if feed is None:
        p = subprocess.run(argv, stdin=stdin_file, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        rc = p.returncode
    else:
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        if pipe_size:
            try:
                fcntl.fcntl(p.stdin.fileno(), F_SETPIPE_SZ, pipe_size)
            except OSError:
                fcntl.fcntl(p.stdin.fileno(), F_SETPIPE_SZ, 1 << 20)
        with open(feed, "rb", buffering=0) as f:
            while chunk := f.read(frame):
                p.stdin.write(chunk)
        p.stdin.close()
        rc = p.wait()
    if rc != 0:
        raise SystemExit(f"ffmpeg failed ({rc}): {shlex.join(argv)}")
    return time.perf_counter() - t


def main():
    ffmpeg, results_path, out_path = sys.argv[1:4]
    frames = int(sys.argv[4]) if len(sys.argv) > 4 else 300
    reps = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    results = json.load(open(results_path))
    rows = []
    with tempfile.TemporaryDirectory(prefix="pipe-probe-") as tmp:
        for case in results["cases"]:
            if case["mode"] != "encode-only" or not case.get("command"):
                continue
            cmd = shlex.split(case["command"])
            cmd[0] = ffmpeg
            pix_fmt, size = arg_after(cmd, "-pix_fmt"), arg_after(cmd, "-s")
            w, h = map(int, size.split("x"))
            raw = os.path.join(tmp, f"{pix_fmt}.raw")
            if not os.path.exists(raw):
                subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i",
                                f"testsrc2=size={size}:rate=30", "-frames:v", str(frames),
                                "-pix_fmt", pix_fmt, "-f", "rawvideo", raw], check=True)
            out = os.path.join(tmp, "out.mp4")
            cmd[-1] = out
            i = cmd.index("-i")
            from_file = cmd[:i + 1] + [raw] + cmd[i + 2:]
            ways = {
                "file": lambda: timed(from_file),
                "pipe-64k": lambda: timed(cmd, stdin_file=subprocess.Popen(
                    ["cat", raw], stdout=subprocess.PIPE).stdout),
                "pipe-big": lambda: timed(cmd, feed=raw,
                                          pipe_size=frame_bytes(pix_fmt, w, h),
                                          frame=frame_bytes(pix_fmt, w, h)),
            }
            secs = {k: [] for k in ways}
            for _ in range(reps):
                for name, way in ways.items():
                    secs[name].append(way())
            row = {"case": case["id"], "pix_fmt": pix_fmt, "size": size, "frames": frames,
                   "fps": {k: [round(frames / s, 1) for s in v] for k, v in secs.items()}}
            rows.append(row)
            best = {k: max(v) for k, v in row["fps"].items()}
            print(f"{pix_fmt:8} {size}: " + ", ".join(
                f"{k} {v:.1f} fps ({v / best['file']:.2f})" for k, v in best.items()))
    json.dump({"ffmpeg": ffmpeg, "cpus": os.cpu_count(), "rows": rows},
              open(out_path, "w"), indent=1)


if __name__ == "__main__":
    main()
