#!/usr/bin/env python3
"""Where `--decoder nvdec`'s pipe cost goes (issue 31): the tool's own NVDEC
decode command, its frames read from ffmpeg's stdout as the tool reads them,
with the pipe the kernel gives by default (64 KiB) and grown by the reader
(F_SETPIPE_SZ) to 1, 4 and 16 MiB; ffmpeg's CPU (user, system) from wait4,
per frame; rounds interleaved. Also NVDEC with the download into -f null
(no pipe) and the CPU decoder into the default pipe, for reference.

    nvdec-pipe-size.py FFMPEG CLIP FRAMES ROUNDS > OUT.json
"""
import fcntl
import json
import os
import subprocess
import sys
import time

F_SETPIPE_SZ = 1031


def main():
    ff, clip, frames, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    nvdec = [ff, "-hide_banner", "-nostdin", "-hwaccel", "cuda", "-hwaccel_output_format", "cuda",
             "-i", clip, "-map", "0:v:0", "-fps_mode", "passthrough",
             "-vf", "scale_cuda=1920:1080:format=nv12,hwdownload,format=nv12"]
    cpu = [ff, "-hide_banner", "-nostdin", "-i", clip, "-map", "0:v:0", "-fps_mode", "passthrough",
           "-vf", "scale=1920:1080"]
    variants = [
        ("nvdec-download-null", nvdec + ["-f", "null", "-"], None, False),
        ("nvdec-pipe-64k", nvdec + ["-f", "rawvideo", "-pix_fmt", "nv12", "-"], None, True),
        ("nvdec-pipe-1m", nvdec + ["-f", "rawvideo", "-pix_fmt", "nv12", "-"], 1 << 20, True),
        ("nvdec-pipe-4m", nvdec + ["-f", "rawvideo", "-pix_fmt", "nv12", "-"], 4 << 20, True),
        ("nvdec-pipe-16m", nvdec + ["-f", "rawvideo", "-pix_fmt", "nv12", "-"], 16 << 20, True),
        ("cpu-bgr24-pipe-64k", cpu + ["-f", "rawvideo", "-pix_fmt", "bgr24", "-"], None, True),
    ]
    runs = []
    for r in range(rounds):
        for name, args, size, piped in variants:
            started = time.monotonic()
            p = subprocess.Popen(args, stdout=subprocess.PIPE if piped else subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            got = None
            read = 0
            if piped:
                fd = p.stdout.fileno()
                if size:
                    got = fcntl.fcntl(fd, F_SETPIPE_SZ, size)
                buf = bytearray(4 << 20)
                view = memoryview(buf)
                while True:
                    k = os.readv(fd, [view])
                    if k == 0:
                        break
                    read += k
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.monotonic() - started
            runs.append({
                "variant": name, "round": r, "pipe_bytes": got, "bytes_read": read,
                "status": status, "wall_s": wall, "user_s": ru.ru_utime, "sys_s": ru.ru_stime,
                "core_ms_per_frame": 1000 * (ru.ru_utime + ru.ru_stime) / frames,
            })
            print(f"{name} round {r}: {runs[-1]['core_ms_per_frame']:.2f} core-ms/frame "
                  f"(user {ru.ru_utime:.2f}, sys {ru.ru_stime:.2f}), {frames / wall:.0f} fps", file=sys.stderr)
    json.dump({"frames": frames, "runs": runs}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
