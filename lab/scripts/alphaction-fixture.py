#!/usr/bin/env python3
"""Writes the AlphAction-shaped detections fixtures under tests/fixtures/detections/:
boxes for every frame (the tracker's stream) and action scores every 30 frames
(the action model's keyframes), as AlphAction's demo receives them, in
nvviz-bench's detections schema version 2. Some scores sit below the demo's 0.5
threshold and some classes are on its exclusion list, so filtering shows.

  python3 lab/scripts/alphaction-fixture.py   # rewrites both files
"""
import json
import pathlib

AVA = ["bend/bow", "crawl", "crouch/kneel", "dance", "fall down", "get up", "jump/leap", "lie/sleep",
       "martial art", "run/jog", "sit", "stand", "swim", "walk", "answer phone", "brush teeth",
       "carry/hold sth.", "catch sth.", "chop", "climb", "clink glass", "close", "cook", "cut", "dig",
       "dress/put on clothing", "drink", "drive", "eat", "enter", "exit", "extract", "fishing",
       "hit sth.", "kick sth.", "lift/pick up", "listen to sth.", "open", "paint", "play board game",
       "play musical instrument", "play with pets", "point to sth.", "press", "pull sth.",
       "push sth.", "put down", "read", "ride", "row boat", "sail boat", "shoot", "shovel", "smoke",
       "stir", "take a photo", "look at a cellphone", "throw", "touch sth.", "turn", "watch screen",
       "work on a computer", "write", "fight/hit sb.", "give/serve sth. to sb.", "grab sb.",
       "hand clap", "hand shake", "hand wave", "hug sb.", "kick sb.", "kiss sb.", "lift sb.",
       "listen to sb.", "play with kids", "push sb.", "sing", "take sth. from sb.", "talk",
       "watch sb."]
COMMON = ["dance", "run/jog", "sit", "stand", "swim", "walk", "answer phone", "carry/hold sth.",
          "drive", "play musical instrument", "ride", "fight/hit sb.", "listen to sb.", "talk",
          "watch sb."]
W, H, FPS, FRAMES = 320, 240, 30, 90


def scores(names, high):
    """A model's output: 0.1 everywhere, the given classes at their scores."""
    s = [0.1] * len(names)
    for name, score in high.items():
        s[names.index(name)] = score
    return s


def box(track, f):
    x = 20 + 90 * (track - 1) + f  # moves one pixel a frame
    return [x, 100, x + 40, 200]


def document(names, keyframes):
    frames = []
    for f in range(FRAMES):
        tracks = [1, 2] + ([3] if f >= 40 else [])
        frames.append({"frame": f, "persons": [{"track_id": t, "box": box(t, f)} for t in tracks]})
    return {"schema": "nvviz-bench.detections", "version": 2, "width": W, "height": H,
            "fps": FPS, "frames": frames, "keyframes": keyframes}


ava = document(AVA, [
    {"frame": 0, "tracks": [
        # walk shown; crawl excluded by the demo's list; stand below 0.5.
        {"track_id": 1, "scores": scores(AVA, {"walk": 0.9, "crawl": 0.95, "stand": 0.45})},
        {"track_id": 2, "scores": scores(AVA, {"sit": 0.8, "answer phone": 0.6})},
    ]},
    {"frame": 30, "tracks": [
        # Track 1 is not in this keyframe: it keeps keyframe 0's captions.
        {"track_id": 2, "scores": scores(AVA, {"talk": 0.7, "play with kids": 0.99})},
    ]},
    {"frame": 60, "tracks": [
        # Nothing above the threshold: track 1's captions go.
        {"track_id": 1, "scores": scores(AVA, {"walk": 0.3})},
        # Labels with scores instead of a score vector.
        {"track_id": 3, "actions": [{"label": "ride", "score": 0.8}, {"label": "dig", "score": 0.9}]},
    ]},
])
common = document(COMMON, [
    {"frame": 0, "tracks": [
        {"track_id": 1, "scores": scores(COMMON, {"walk": 0.9, "ride": 0.7, "talk": 0.6})},
    ]},
])
out = pathlib.Path(__file__).resolve().parent.parent.parent / "tests" / "fixtures" / "detections"
out.mkdir(parents=True, exist_ok=True)
for name, doc in [("alphaction-v2.json", ava), ("alphaction-common-v2.json", common)]:
    (out / name).write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(out / name)
