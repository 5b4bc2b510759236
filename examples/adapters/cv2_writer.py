#!/usr/bin/env python3
"""cv2.VideoWriter, as the demo's fast visualizer writes (mp4v), with the
same OpenCV drawing.

  python3 cv2_writer.py INPUT DETECTIONS OUTPUT
"""
import sys

import cv2

from nvviz_adapter import Detections, Progress, draw_cv2, frames

inp, dets, out = sys.argv[1:4]
source, size, fps = frames(inp)
detections, progress = Detections(dets), Progress()
writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
if not writer.isOpened():
    raise SystemExit(f"cv2.VideoWriter cannot write {out}")
for n, frame in enumerate(source):
    writer.write(draw_cv2(frame, detections.at(n)))
    progress.frame()
writer.release()
