#!/usr/bin/env python3
"""The guide's NVENC visualizer writer (AlphAction demo/nvenc_visualizer.py's
shape): OpenCV drawing, raw bgr24 frames into an ffmpeg subprocess's stdin,
h264_nvenc with the guide's settings, libx264 where NVENC is missing.

  python3 guide_pipe.py INPUT DETECTIONS OUTPUT [--encoder h264_nvenc|libx264]
"""
import subprocess
import sys

from nvviz_adapter import Detections, Progress, draw_cv2, frames

inp, dets, out = sys.argv[1:4]
encoder = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--encoder" else "h264_nvenc"
source, (w, h), fps = frames(inp)
detections, progress = Detections(dets), Progress()


def start(enc):
    opts = (["-preset", "p1", "-tune", "ll", "-rc", "vbr", "-b:v", "8M", "-maxrate", "12M",
             "-bufsize", "16M", "-bf", "0"] if "nvenc" in enc else ["-preset", "ultrafast"])
    return subprocess.Popen(
        ["ffmpeg", "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}",
         "-r", str(fps), "-i", "-", "-c:v", enc, *opts, "-g", "60", "-pix_fmt", "yuv420p",
         "-movflags", "+faststart", out], stdin=subprocess.PIPE, stderr=subprocess.PIPE)


def works(enc):
    """A one-frame trial encode, as the guide checks NVENC before it commits."""
    trial = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=s=256x256", "-frames:v", "1",
         "-c:v", enc, "-f", "null", "-"], capture_output=True)
    return trial.returncode == 0


if not works(encoder):
    # The guide's fallback: NVENC missing (no engine, no driver) -> libx264.
    print(f"guide_pipe: {encoder} failed its trial, falling back to libx264", file=sys.stderr)
    encoder = "libx264"
ffmpeg = start(encoder)
for n, frame in enumerate(source):
    ffmpeg.stdin.write(draw_cv2(frame, detections.at(n)).tobytes())
    progress.frame()
ffmpeg.stdin.close()
sys.exit(ffmpeg.wait())
