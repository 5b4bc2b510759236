#!/usr/bin/env python3
"""supervision: its BoxAnnotator and LabelAnnotator drawing, its VideoSink
writing (OpenCV's VideoWriter underneath).

  python3 supervision_sink.py INPUT DETECTIONS OUTPUT
"""
import sys

import numpy as np
import supervision as sv

from nvviz_adapter import Detections, Progress, frames

inp, dets, out = sys.argv[1:4]
source, (w, h), fps = frames(inp)
detections, progress = Detections(dets), Progress()
# Coloured by track: the demo's detections carry no class.
boxes = sv.BoxAnnotator(thickness=2, color_lookup=sv.ColorLookup.TRACK)
labels = sv.LabelAnnotator(text_scale=0.5, color_lookup=sv.ColorLookup.TRACK)
info = sv.VideoInfo(width=w, height=h, fps=fps)
with sv.VideoSink(out, info, codec="mp4v") as sink:
    for n, frame in enumerate(source):
        persons = detections.at(n)
        if persons:
            found = sv.Detections(
                xyxy=np.array([p[1] for p in persons], dtype=np.float32),
                tracker_id=np.array([p[0] for p in persons]),
            )
            text = [" / ".join(f"{l} {s:.2f}" for l, s, _ in p[2]) or f"#{p[0]}" for p in persons]
            frame = boxes.annotate(frame, found)
            frame = labels.annotate(frame, found, labels=text)
        sink.write_frame(frame)
        progress.frame()
