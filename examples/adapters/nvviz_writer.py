#!/usr/bin/env python3
"""nvviz-bench's own writer from Python (`pip install nvviz-bench`): the
frames made first (decoded into memory before the timed loop, as a demo holds
its drawn frames), then a Python loop hands each to `nvviz_bench.Writer`,
which encodes them on the tool's pipelined engine with the encoder its
fallback chain chooses (NVENC, else libx264, reported). No drawing: what the
bridge from Python costs, beside the tool's own `encode-only` and `native`.

  python3 nvviz_writer.py INPUT DETECTIONS OUTPUT
"""
import sys
import time

import nvviz_bench

from nvviz_adapter import Progress, frames

inp, _dets, out = sys.argv[1:4]
source, (w, h), fps = frames(inp)
made = list(source)
progress = Progress()
with nvviz_bench.Writer(out, w, h, fps) as writer:
    for frame in made:
        writer.write(frame)
        # Progress is what the engine has written into ffmpeg's pipe, not what
        # it has taken: the frames the other adapters count (written to stdin).
        while progress.n < writer.written:
            progress.frame()
    while progress.n < len(made):
        if progress.n < writer.written:
            progress.frame()
        else:
            time.sleep(0.0005)
print(f"nvviz_writer: {writer.encoder}"
      + (f" (fallback: {writer.fallback['cause']['cause']})" if writer.fallback else ""),
      file=sys.stderr)
