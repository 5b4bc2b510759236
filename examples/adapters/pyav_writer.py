#!/usr/bin/env python3
"""PyAV: encoding in-process (no ffmpeg subprocess, no pipe), same drawing.

  python3 pyav_writer.py INPUT DETECTIONS OUTPUT [--encoder h264_nvenc|libx264]
"""
import sys
from fractions import Fraction

import av

from nvviz_adapter import Detections, Progress, draw_cv2, frames

inp, dets, out = sys.argv[1:4]
encoder = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--encoder" else "libx264"
source, (w, h), fps = frames(inp)
detections, progress = Detections(dets), Progress()
container = av.open(out, mode="w")
stream = container.add_stream(encoder, rate=Fraction(fps).limit_denominator(1001))
stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
stream.options = {"preset": "ultrafast"} if encoder == "libx264" else {"preset": "p1"}
for n, frame in enumerate(source):
    video = av.VideoFrame.from_ndarray(draw_cv2(frame, detections.at(n)), format="bgr24")
    for packet in stream.encode(video):
        container.mux(packet)
    progress.frame()
for packet in stream.encode():
    container.mux(packet)
container.close()
