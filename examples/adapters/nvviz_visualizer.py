#!/usr/bin/env python3
"""The demo's visualizer shape on nvviz-bench (`pip install nvviz-bench`):
`nvviz_bench.NVENCVisualizer` with the demo's constructor reads the video
itself (ffmpeg), and the Python loop sends what the demo's main loop sends —
the tracker's boxes of every frame (`send_track`) and the action results at
the keyframes (`send`, with their timestamps) — then waits for the video.
Progress is the frames the visualizer has written.

  python3 nvviz_visualizer.py INPUT DETECTIONS OUTPUT [--style native|pillow|opencv]
"""
import json
import sys
import time

import numpy as np

import nvviz_bench

from nvviz_adapter import Progress

inp, dets, out = sys.argv[1:4]
style = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--style" else "native"
doc = json.load(open(dets))
# The file's keyframes carry captions (label, score); the demo's model gives a
# score per category of its vocabulary (AVA's 80), made back here.
index = {name: i for i, name in enumerate(nvviz_bench.NVENCVisualizer.CATEGORIES)}


class Result:
    """What the demo's action model hands its visualizer: `.bbox`, `get_field("scores")`."""

    def __init__(self, bbox, scores):
        self.bbox, self.scores = bbox, scores

    def get_field(self, name):
        return self.scores


vis = nvviz_bench.NVENCVisualizer(inp, out, False, 0, -1, True, style=style)
fps = vis.vid_info["fps"]
boxes = {f["frame"]: f["persons"] for f in doc["frames"]}
for frame in range(vis.vid_info["frame_num"]):
    persons = boxes.get(frame, [])
    if persons:
        vis.send_track((np.array([p["box"] for p in persons], np.float32),
                        np.array([p["track_id"] for p in persons])))
    else:
        vis.send_track((None, None))
for keyframe in doc.get("keyframes", []):
    by_id = {p["track_id"]: p["box"] for p in boxes.get(keyframe["frame"], [])}
    tracks = [t for t in keyframe["tracks"] if t["track_id"] in by_id]
    if not tracks:
        continue
    bbox = np.array([by_id[t["track_id"]] for t in tracks], np.float32).reshape(-1, 4)
    scores = np.zeros((len(tracks), len(index)), np.float32)
    for row, t in enumerate(tracks):
        for a in t.get("actions") or []:
            scores[row, index[a["label"]]] = a["score"]
    ids = np.array([t["track_id"] for t in tracks])
    vis.send((Result(bbox, scores), keyframe["frame"] * 1000.0 / fps, ids))
vis.send("DONE")
vis.send_track("DONE")
progress = Progress()
while vis.running:
    while progress.n < vis.written:
        progress.frame()
    time.sleep(0.002)
vis.close()
while progress.n < vis.written:
    progress.frame()
print(f"nvviz_visualizer: {vis.encoder}", file=sys.stderr)
