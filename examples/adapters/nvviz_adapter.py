"""What every adapter here shares: the workload's frames, its detections, the
progress protocol. Copy it beside your own writer.

nvviz-bench runs an adapter as a case (`bench --command NAME='python3 X.py
{input} {detections} {output}'`): it reads the video at {input} (the workload's
frames, written once), draws the boxes and captions of {detections} (schema v2:
tracker boxes per frame, action captions held per track from keyframes) and
writes {output}. It prints its cumulative frame count to $NVVIZ_PROGRESS_FD so
that the bench times its steady state, not Python's start-up.
"""
import json
import os

import cv2

# The demo's colours (AlphAction demo/visualizer.py), RGB.
BOX = (255, 0, 0)
CATEGORY = {"pose": (255, 255, 255), "object_interaction": (87, 118, 198),
            "person_interaction": (52, 189, 199)}


class Progress:
    """One line per frame on the descriptor nvviz-bench passes (nothing without one)."""

    def __init__(self):
        fd = os.environ.get("NVVIZ_PROGRESS_FD")
        self.out = os.fdopen(int(fd), "w", buffering=1) if fd else None
        self.n = 0

    def frame(self):
        self.n += 1
        if self.out:
            self.out.write(f"{self.n}\n")


def frames(path):
    """The video's frames as BGR numpy arrays."""
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise SystemExit(f"cannot open {path}")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    def gen():
        while True:
            ok, frame = cap.read()
            if not ok:
                return
            yield frame
    return gen(), size, fps


class Detections:
    """Boxes per frame, captions held per track from its latest keyframe (as the demo holds them)."""

    def __init__(self, path):
        doc = json.load(open(path))
        self.boxes = {f["frame"]: f["persons"] for f in doc["frames"]}
        self.keyframes = {k["frame"]: k["tracks"] for k in doc.get("keyframes", [])}
        self.captions = {}

    def at(self, n):
        """[(track_id, (x1, y1, x2, y2), [(label, score, category)])] on frame n."""
        for t in self.keyframes.get(n, []):
            self.captions[t["track_id"]] = [
                (a["label"], a["score"], a.get("category", "pose")) for a in t.get("actions") or []]
        return [(p["track_id"], p["box"], self.captions.get(p["track_id"], []))
                for p in self.boxes.get(n, [])]


def draw_cv2(frame, persons):
    """The demo's OpenCV drawing (fast_visualizer.py's shape): a box, a caption line per action."""
    for _, (x1, y1, x2, y2), captions in persons:
        cv2.rectangle(frame, (int(x1), int(y1)), (int(x2), int(y2)), BOX[::-1], 2)
        for i, (label, score, category) in enumerate(captions):
            y = int(y1) - 6 - 16 * i
            cv2.putText(frame, f"{label} {score:.2f}", (int(x1), max(y, 12)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.5, CATEGORY.get(category, BOX)[::-1], 1,
                        cv2.LINE_AA)
    return frame
