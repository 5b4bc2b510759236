"""The demo's `NVENCVisualizer`, with its constructor and its
`send` / `send_track` / `close` / `progress_bar`, on nvviz-bench's path: the
video is decoded by ffmpeg (or NVDEC), each frame drawn natively with the
boxes and results you send, and written with the encoder the tool's fallback
chain chooses (NVENC, else the codec's CPU encoders, reported in `encoder`
and `fallback`).

    from nvviz_bench import NVENCVisualizer
    vis = NVENCVisualizer(video_path, output_path, False, 0, -1, True)
    ...                                  # per frame, as the demo's main loop
    vis.send_track((boxes, ids))         # the tracker's boxes of the next frame
    vis.send((result, timestamp, ids))   # an action result (`result.bbox`,
                                         # `result.get_field("scores")`)
    vis.send("DONE"); vis.send_track("DONE")
    vis.progress_bar(total); vis.close()

Boxes, scores and ids may be torch tensors, numpy arrays or lists.
`style` picks the look: "native" (nvviz-bench's drawing into the NVENC pipe),
"opencv" (the demo's NVENC visualizer; needs a build with OpenCV), "pillow"
(the demo's original visualizer: Pillow's look, OpenCV's mp4v writer or its
ffmpeg stand-in).
"""

from ._native import CATEGORIES, COMMON_CATES, EXCLUSION, Visualizer


def _plain(value):
    """A tensor, array or sequence as nested Python lists."""
    if value is None:
        return None
    if hasattr(value, "detach"):  # torch: off the graph, onto the CPU
        value = value.detach().cpu()
    if hasattr(value, "tolist"):
        return value.tolist()
    return [_plain(v) if hasattr(v, "__len__") else v for v in value]


def _ids(ids):
    return [int(i) for i in _plain(ids)]


class NVENCVisualizer:
    """Drop-in for AlphAction's `demo/nvenc_visualizer.py::NVENCVisualizer`."""

    CATEGORIES = list(CATEGORIES)
    COMMON_CATES = list(COMMON_CATES)
    EXCLUSION = list(EXCLUSION)

    def __init__(
        self,
        video_path,
        output_path,
        realtime,
        start,
        duration,
        show_time,
        confidence_threshold=0.5,
        exclude_class=None,
        common_cate=False,
        nvenc_preset="p1",
        nvenc_bitrate="8M",
        nvenc_maxrate="12M",
        *,
        style="native",
        encoder="auto",
        decoder="ffmpeg",
        ffmpeg=None,
    ):
        if realtime:
            raise ValueError(
                "realtime=True is the demo's webcam window (cv2.imshow); nvviz_bench writes files: "
                "pass realtime=False, or `nvviz-bench bench --realtime` to measure a live source"
            )
        self._native = Visualizer(
            str(video_path),
            str(output_path),
            start_ms=int(start),
            duration_ms=int(duration),
            show_time=bool(show_time),
            confidence_threshold=float(confidence_threshold),
            exclude_class=None if exclude_class is None else list(exclude_class),
            common_cate=bool(common_cate),
            style=style,
            encoder=encoder,
            preset=nvenc_preset,
            bitrate=nvenc_bitrate,
            maxrate=nvenc_maxrate,
            decoder=decoder,
            ffmpeg=None if ffmpeg is None else str(ffmpeg),
        )
        self.vid_info = {
            "width": None,
            "height": None,
            "fps": self._native.fps,
            "frame_num": self._native.frames,
        }

    def send(self, result):
        """An action result `(boxlist, timestamp_ms, ids)`, or "DONE"."""
        if isinstance(result, str):
            self._native.end_results()
            return
        boxlist, timestamp, ids = result
        self._native.send_result(
            float(timestamp),
            _plain(boxlist.bbox),
            _plain(boxlist.get_field("scores")),
            _ids(ids),
        )

    def send_track(self, result):
        """The tracker's `(boxes, ids)` of the next frame (boxes None: none), or "DONE"."""
        if isinstance(result, str):
            self._native.end_tracks()
            return
        boxes, ids = result
        if boxes is None:
            self._native.send_track(None, None)
        else:
            self._native.send_track(_plain(boxes), _ids(ids))

    def close(self):
        """Waits for the video: written, verified, kept at output_path."""
        self._native.close()

    def progress_bar(self, total):
        """Waits until `total` frames are written (a tqdm bar where tqdm is installed)."""
        import time

        try:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="NVENC Video Writer", unit=" frame")
        except ImportError:
            bar = None
        shown = 0
        while shown < total and self._native.running:
            written = min(self._native.written, total)
            if bar is not None:
                bar.update(written - shown)
            shown = written
            if shown < total:
                time.sleep(0.05)
        if bar is not None:
            bar.close()

    # What the tool adds: the encoder that ran and why, the whole result, and
    # how far the video is (frames written; whether it is still running).
    encoder = property(lambda self: self._native.encoder)
    fallback = property(lambda self: self._native.fallback)
    result = property(lambda self: self._native.result)
    written = property(lambda self: self._native.written)
    running = property(lambda self: self._native.running)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        return self._native.__exit__(exc_type, exc, tb)
