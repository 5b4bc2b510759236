#!/usr/bin/env python3
"""Why does ffmpeg take in bgr24 frames so much slower per byte than yuv420p?

ffmpeg's rawvideo demuxer allocates one packet per frame. A 1080p bgr24 frame
(6.2 MB) and a yuv420p one (3.1 MB) both sit above glibc's initial mmap
threshold (128 KiB), so whether each packet costs fresh page faults depends on
glibc's dynamic threshold and its heap trimming. This study measures ffmpeg's
intake with no pipe at all (frames from a page-cached file, looped, `-c:v copy
-f null -`) under each malloc setting, rounds interleaved, and counts the
child's minor page faults, so a difference is seen, not guessed.

    lab/scripts/intake-study.py --ffmpeg ffmpeg --rounds 3 --frames 600 [--out F.json]
    lab/scripts/intake-study.py --ffmpeg ffmpeg --pipe --cat --encode "-c:v libx264 -preset ultrafast ..."
    lab/scripts/intake-study.py --ffmpeg ffmpeg --splice --copier --settings fixed --encode "..."

With --encode the frames are encoded with those arguments into a file instead
of passed on (`-c:v copy -f null -`): where a pipe-fed encoder loses against a
file-fed one, and whether any writer (Python's, `cat`'s) shows the same loss.
--splice feeds the pipe with the ideal writer: splice(2) from the page-cached
file, so the pipe carries references to the very pages the file arm reads and
the writer copies nothing (its CPU is reported). --copier runs the file arm
beside a process copying the file to /dev/null as fast as it can (a writer's
memory traffic and one busy core, without a pipe). Each source's fps is also
given over the file's in the same round (paired ratios).

Prints one line per (format, setting): fps mean ± stddev (min–max) and minor
faults per frame; --out writes every round.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

SIZES = {"bgr24": 3.0, "yuv420p": 1.5, "nv12": 1.5, "bgr0": 4.0}
SETTINGS = {
    "glibc default": None,
    "thresholds fixed high": "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=134217728",
}


def frame_bytes(pix_fmt, w, h):
    size = int(w * h * SIZES[pix_fmt])
    return bytes((i * 7) & 0xFF for i in range(4096)) * (size // 4096) + bytes(size % 4096)


F_SETPIPE_SZ = 1031


def splice_feeder(path, loops, pipe_bytes):
    """A pipe fed by splice(2) from `path`, `loops + 1` times over, in a thread:
    (read end, thread, cpu seconds list)."""
    import threading
    r, w = os.pipe()
    if pipe_bytes:
        import fcntl
        fcntl.fcntl(w, F_SETPIPE_SZ, pipe_bytes)
    size = os.path.getsize(path)
    cpu = []

    def feed():
        t0 = time.thread_time()
        fd = os.open(path, os.O_RDONLY)
        try:
            for _ in range(loops + 1):
                off = 0
                while off < size:
                    n = os.splice(fd, w, size - off, offset_src=off)
                    if n == 0:
                        raise OSError("short splice")
                    off += n
        except BrokenPipeError:
            pass
        finally:
            os.close(fd)
            os.close(w)
            cpu.append(time.thread_time() - t0)

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    return r, t, cpu


def one(ffmpeg, path, pix_fmt, w, h, loops, frames, tunables, source, encode=None, pipe_bytes=0):
    """One run fed by `source`: file, pipe, cat, "cat, queue N", stdin-file,
    splice or "file beside a copier"."""
    env = dict(os.environ)
    env.pop("GLIBC_TUNABLES", None)
    if tunables:
        env["GLIBC_TUNABLES"] = tunables
    kind = "cat" if source.startswith("cat") else source
    queue = int(source.rsplit(" ", 1)[1]) if source.startswith("cat, queue") else None
    streamed = kind in ("pipe", "cat", "splice")  # a writer sends every frame: no looping
    on_stdin = streamed or kind == "stdin-file"
    src = "-" if on_stdin else path
    cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y"]
    if not streamed:
        cmd += ["-stream_loop", str(loops)]
    if not on_stdin:
        cmd += ["-nostdin"]
    if queue:
        cmd += ["-thread_queue_size", str(queue)]
    cmd += ["-f", "rawvideo", "-pix_fmt", pix_fmt, "-s", f"{w}x{h}", "-r", "30", "-i", src]
    if encode:
        cmd += encode.split() + [os.path.join(os.path.dirname(path), "out.mp4")]
    else:
        cmd += ["-c:v", "copy", "-f", "null", "-"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    neighbour = None
    if kind == "file beside a copier":
        neighbour = subprocess.Popen(["sh", "-c", f"while :; do cat '{path}' > /dev/null; done"],
                                     start_new_session=True)
    writer_cpu = None
    start = time.perf_counter()
    if kind == "splice":
        r, t, cpu = splice_feeder(path, loops, pipe_bytes)
        rc = subprocess.run(cmd, stdin=r, env=env).returncode
        os.close(r)
        t.join()
        writer_cpu = cpu[0] if cpu else None
    elif kind == "stdin-file":
        with open(path, "rb") as f:
            rc = subprocess.run(cmd, stdin=f, env=env).returncode
    elif kind == "cat":
        feeder = subprocess.Popen(["sh", "-c", f"for i in $(seq {loops + 1}); do cat '{path}'; done"],
                                  stdout=subprocess.PIPE)
        rc = subprocess.run(cmd, stdin=feeder.stdout, env=env).returncode
        feeder.stdout.close()
        feeder.wait()
    elif kind == "pipe":
        frame = frame_bytes(pix_fmt, w, h)
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, env=env)
        for _ in range(frames):
            proc.stdin.write(frame)
        proc.stdin.close()
        rc = proc.wait()
    else:
        rc = subprocess.run(cmd, env=env).returncode
    elapsed = time.perf_counter() - start
    if neighbour:
        os.killpg(neighbour.pid, 9)
        neighbour.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if rc != 0:
        sys.exit(f"ffmpeg failed ({pix_fmt}, {tunables})")
    out = {"fps": frames / elapsed, "minflt_per_frame": (after.ru_minflt - before.ru_minflt) / frames}
    if writer_cpu is not None:
        out["writer_cpu_ms_per_frame"] = writer_cpu * 1000 / frames
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ffmpeg", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--frames", type=int, default=600, help="a multiple of 20")
    ap.add_argument("--pix-fmts", default="bgr24,yuv420p")
    ap.add_argument("--pipe", action="store_true", help="also feed ffmpeg through a pipe from this Python (the guide's writer)")
    ap.add_argument("--cat", action="store_true", help="also feed ffmpeg from `cat` of the file (a C writer, write(2))")
    ap.add_argument("--stdin-file", action="store_true",
                    help="also give ffmpeg the file as its stdin (`-i -` on a regular file: the pipe protocol without a pipe)")
    ap.add_argument("--queue", type=int, help="also run `cat` with -thread_queue_size N on the input")
    ap.add_argument("--splice", action="store_true",
                    help="also feed the pipe by splice(2) from the cached file (a writer that copies nothing)")
    ap.add_argument("--pipe-mib", type=int, default=1, help="--splice's pipe size (F_SETPIPE_SZ), MiB")
    ap.add_argument("--copier", action="store_true",
                    help="also run the file arm beside a process copying the file to /dev/null")
    ap.add_argument("--settings", choices=["both", "fixed"], default="both",
                    help="malloc settings to run (fixed: thresholds fixed high only)")
    ap.add_argument("--encode", help="encoder arguments (and output options) instead of -c:v copy -f null -")
    ap.add_argument("--out")
    a = ap.parse_args()
    w, h, per_file = 1920, 1080, 20
    scratch = tempfile.mkdtemp(prefix="intake-")
    paths = {}
    for fmt in a.pix_fmts.split(","):
        paths[fmt] = os.path.join(scratch, f"{fmt}.raw")
        frame = frame_bytes(fmt, w, h)
        with open(paths[fmt], "wb") as f:
            for _ in range(per_file):
                f.write(frame)
    loops = a.frames // per_file - 1
    sources = (["file"] + (["pipe"] if a.pipe else []) + (["cat"] if a.cat else [])
               + (["stdin-file"] if a.stdin_file else []) + ([f"cat, queue {a.queue}"] if a.queue else [])
               + (["splice"] if a.splice else []) + (["file beside a copier"] if a.copier else []))
    settings = SETTINGS if a.settings == "both" else {k: v for k, v in SETTINGS.items() if v}
    rows = {}
    for r in range(a.rounds):
        order = list(settings.items())
        if r % 2:
            order.reverse()
        for fmt, path in paths.items():
            for src in (sources if r % 2 == 0 else sources[::-1]):
                for name, tun in order:
                    res = one(a.ffmpeg, path, fmt, w, h, loops, a.frames, tun, src, a.encode,
                              a.pipe_mib << 20)
                    rows.setdefault((fmt, src, name), []).append(res)
        print(f"round {r + 1}/{a.rounds} done", file=sys.stderr)
    ver = subprocess.run([a.ffmpeg, "-version"], capture_output=True, text=True).stdout.splitlines()[0]
    libc = " ".join(platform.libc_ver())
    thp = ""
    try:
        thp = open("/sys/kernel/mm/transparent_hugepage/enabled").read().strip()
    except OSError:
        pass
    what = f"encoding with `{a.encode}`" if a.encode else "passed on unencoded"
    print(f"# ffmpeg's intake, 1080p, {a.frames} frames a run, {what}, {a.rounds} rounds")
    print(f"# {ver}; host libc {libc}; THP {thp}; {os.cpu_count()} cores")
    print("| format | source | malloc setting | fps mean ± sd (min–max) | × file, same round: mean ± sd (min–max) "
          "| minor faults a frame | writer CPU ms a frame |")
    print("|---|---|---|---|---|---|---|")
    out = []

    def spread(v, fmt_):
        sd = statistics.stdev(v) if len(v) > 1 else 0.0
        return f"{statistics.mean(v):{fmt_}} ± {sd:{fmt_}} ({min(v):{fmt_}}–{max(v):{fmt_}})"

    for (fmt, src, name), rs in rows.items():
        f = [x["fps"] for x in rs]
        m = [x["minflt_per_frame"] for x in rs]
        base = [x["fps"] for x in rows[(fmt, "file", name)]]
        ratios = [x / b for x, b in zip(f, base)]
        cpu = [x["writer_cpu_ms_per_frame"] for x in rs if "writer_cpu_ms_per_frame" in x]
        print(f"| {fmt} | {src} | {name} | {spread(f, '.0f')} | {spread(ratios, '.3f')} "
              f"| {statistics.mean(m):.0f} | {f'{statistics.mean(cpu):.3f}' if cpu else '-'} |")
        out.append({"pix_fmt": fmt, "source": src, "setting": name, "tunables": SETTINGS[name],
                    "over_file": ratios, "rounds": rs})
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"ffmpeg": ver, "encode": a.encode, "libc": libc, "thp": thp, "cores": os.cpu_count(),
                       "frames": a.frames, "rows": out}, f, indent=1)


if __name__ == "__main__":
    main()
