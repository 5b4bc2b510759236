"""nvviz-bench from Python: the tool's fast writer as a drop-in.

    import numpy as np, nvviz_bench
    with nvviz_bench.Writer("out.mp4", 1920, 1080, 30) as w:
        for frame in frames:            # uint8, (1080, 1920, 3), BGR
            w.write(frame)
    print(w.encoder, w.fallback)        # the encoder that ran, and why if not NVENC

`Writer` runs the CLI's `render` case on the frames you hand over (the same
encoder choice and fallback chain, pipelined engine, output verified and kept
only when whole); `doctor()` returns what `nvviz-bench doctor --json` prints;
`NVENCVisualizer` has the demo's constructor and send/send_track/close.
"""

import atexit

from ._native import EncodeError, Visualizer, Writer, __version__, doctor, run_cli
from ._native import _abort_all
from .visualizer import NVENCVisualizer

__all__ = [
    "EncodeError",
    "NVENCVisualizer",
    "Visualizer",
    "Writer",
    "__version__",
    "doctor",
    "run_cli",
]

# A writer left open when the interpreter exits keeps nothing half-written and
# leaves no ffmpeg behind.
atexit.register(_abort_all)
