"""The Python module as a user meets it, from the installed wheel: videos
written and verified from Python (the writer, the visualizer in each style
this build draws), and every way a caller can go wrong or a process can end —
each a Python exception with the tool's one-line cause, no partial video
under the final name, no ffmpeg left behind.

Run by tests/suite/package.rs in a fresh venv: python -m unittest discover -s python/tests
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

import numpy as np

import nvviz_bench

W, H, FPS = 320, 240, 30


def frames(n):
    return [np.full((H, W, 3), (i * 9) % 256, np.uint8) for i in range(n)]


def ffmpeg_children(marker):
    """Live ffmpeg processes whose command line names `marker` (our temp dir)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and cmd and b"ffmpeg" in os.path.basename(cmd[0]) and marker.encode() in b" ".join(cmd):
            found.append(int(pid))
    return found


def wait_for_no_ffmpeg(test, marker):
    """A killed child is reaped a moment later: wait for it, up to 20 s."""
    deadline = time.monotonic() + 20
    while ffmpeg_children(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    test.assertEqual(ffmpeg_children(marker), [], "an ffmpeg outlived its writer")


def clip(path, n=45):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=s={W}x{H}:r={FPS}", "-frames:v", str(n), "-c:v", "libx264",
                    "-preset", "ultrafast", "-pix_fmt", "yuv420p", path], check=True)


class Result:
    """What the demo's model hands its visualizer."""

    def __init__(self, bbox, scores):
        self.bbox, self.scores = bbox, scores

    def get_field(self, name):
        return self.scores


class Writing(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nvviz-py-")
        self.out = os.path.join(self.dir, "out.mp4")

    def test_a_writer_writes_a_verified_video_and_names_its_encoder(self):
        with nvviz_bench.Writer(self.out, W, H, FPS) as w:
            self.assertIsNotNone(w.encoder)
            for f in frames(40):
                w.write(f)
        r = w.result
        self.assertEqual(r["status"], "ok")
        self.assertEqual(r["verified"]["frames"], 40)
        self.assertEqual(r["encoder"]["used"], w.encoder)
        self.assertTrue(os.path.getsize(self.out) > 0)
        if w.encoder != "h264_nvenc":
            # No NVENC here: the fallback is reported with its cause and fix.
            self.assertEqual(w.fallback["from"], "h264_nvenc")
            self.assertTrue(w.fallback["fix"])
        self.assertTrue(w.closed)
        with self.assertRaises(ValueError):
            w.write(frames(1)[0])

    def test_the_frame_is_copied_before_write_returns(self):
        buf = np.zeros((H, W, 3), np.uint8)
        with nvviz_bench.Writer(self.out, W, H, FPS, pix_fmt="yuv420p") as w:
            for i in range(30):
                buf[:] = i * 8
                w.write(buf)
        self.assertEqual(w.result["verified"]["frames"], 30)

    def test_every_layout_writes_the_same_colours(self):
        """The frame in each layout the pipe formats take (and RGB, as PIL and
        imageio give it) comes out as the same colour, decoded back."""
        bgr = np.empty((H, W, 3), np.uint8)
        bgr[:] = (200, 60, 20)
        y, u, v = 69, 194, 105   # BT.709 limited range of BGR (200, 60, 20), rounded
        planar = np.empty((H * 3 // 2, W), np.uint8)
        planar[:H] = y
        chroma = planar[H:].reshape(-1)
        chroma[: W * H // 4], chroma[W * H // 4:] = u, v
        nv12 = planar.copy()
        nv12[H:].reshape(-1)[0::2], nv12[H:].reshape(-1)[1::2] = u, v
        given = {
            "bgr24": bgr,
            "rgb24": np.ascontiguousarray(bgr[:, :, ::-1]),
            "bgra": np.dstack([bgr, np.full((H, W), 255, np.uint8)]),
            "bgr0": np.dstack([bgr, np.zeros((H, W), np.uint8)]),
            "yuv420p": planar,
            "nv12": nv12,
        }
        for layout, frame in given.items():
            out = os.path.join(self.dir, f"{layout}.mp4")
            with nvviz_bench.Writer(out, W, H, FPS, layout=layout) as w:
                for _ in range(5):
                    w.write(frame)
            self.assertEqual(w.result["verified"]["frames"], 5, layout)
            raw = subprocess.run(["ffmpeg", "-v", "error", "-i", out, "-frames:v", "1",
                                  "-f", "rawvideo", "-pix_fmt", "bgr24", "-"],
                                 check=True, capture_output=True).stdout
            centre = np.frombuffer(raw, np.uint8).reshape(H, W, 3)[H // 2, W // 2]
            for got, want in zip(centre, (200, 60, 20)):
                self.assertLess(abs(int(got) - want), 8, f"{layout}: {centre}")
        with self.assertRaisesRegex(ValueError, r"where this writer takes \(360, 320\): its nv12"):
            with nvviz_bench.Writer(self.out, W, H, FPS, layout="nv12") as w:
                w.write(bgr)
        with self.assertRaisesRegex(ValueError, "layout 'rgba' is not one of"):
            nvviz_bench.Writer(self.out, W, H, FPS, layout="rgba")
        with self.assertRaisesRegex(ValueError, "even width and height"):
            nvviz_bench.Writer(self.out, 321, H, FPS, layout="yuv420p")
        self.assertFalse(os.path.exists(self.out))

    def test_bad_frames_and_settings_are_one_line_errors_and_nothing_is_kept(self):
        bad = [
            (np.zeros((H, W, 3), np.float32), ValueError, "uint8"),
            (np.zeros((H, W + 2, 3), np.uint8), ValueError, "shape"),
            (np.zeros((H, W * 2, 3), np.uint8)[:, ::2], ValueError, "ascontiguousarray"),
            (b"raw bytes", TypeError, "numpy uint8 array"),
        ]
        for frame, error, words in bad:
            with self.assertRaises(error) as caught:
                with nvviz_bench.Writer(self.out, W, H, FPS) as w:
                    w.write(frame)
            self.assertIn(words, str(caught.exception))
            self.assertNotIn("\n", str(caught.exception))
            self.assertFalse(os.path.exists(self.out))
        with self.assertRaises(ValueError):
            nvviz_bench.Writer(self.out, W, H, FPS, encoder="fastest")
        with self.assertRaises(ValueError):
            nvviz_bench.Writer(self.out, 0, H, FPS)
        with self.assertRaises(ValueError) as caught:
            nvviz_bench.Writer(os.path.join(self.dir, "no", "such", "dir.mp4"), W, H, FPS)
        self.assertIn("does not exist", str(caught.exception))
        wait_for_no_ffmpeg(self, self.dir)

    def test_a_frame_after_the_encoder_died_raises_its_cause(self):
        w = nvviz_bench.Writer(self.out, W, H, FPS)
        for f in frames(5):
            w.write(f)
        for pid in ffmpeg_children(self.dir):
            os.kill(pid, signal.SIGKILL)
        with self.assertRaises(nvviz_bench.EncodeError) as caught:
            for f in frames(2000):
                w.write(f)
            w.close()
        self.assertNotIn("\n", str(caught.exception))
        # The same cause again, for every later call.
        with self.assertRaises(nvviz_bench.EncodeError):
            w.write(frames(1)[0])
        self.assertFalse(os.path.exists(self.out))
        wait_for_no_ffmpeg(self, self.dir)

    def test_an_exception_in_the_loop_keeps_nothing(self):
        with self.assertRaises(RuntimeError):
            with nvviz_bench.Writer(self.out, W, H, FPS) as w:
                for f in frames(10):
                    w.write(f)
                raise RuntimeError("the caller's own bug")
        self.assertFalse(os.path.exists(self.out))
        self.assertTrue(w.closed)
        wait_for_no_ffmpeg(self, self.dir)


SCRIPT = textwrap.dedent("""
    import signal, sys, numpy as np, nvviz_bench
    # Ctrl-C raises KeyboardInterrupt even where this process was started
    # with SIGINT ignored (a background job's children inherit that).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    w = nvviz_bench.Writer(sys.argv[1], 320, 240, 30)
    frame = np.zeros((240, 320, 3), np.uint8)
    print("writing", flush=True)
    for i in range(int(sys.argv[2])):
        w.write(frame)
    print("wrote", flush=True)
    if sys.argv[3] == "sleep":
        import time; time.sleep(600)
""")


class Ending(unittest.TestCase):
    """However the Python process ends, nothing half-written, no ffmpeg left."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nvviz-py-end-")
        self.out = os.path.join(self.dir, "out.mp4")

    def start(self, frames, then):
        p = subprocess.Popen([sys.executable, "-c", SCRIPT, self.out, str(frames), then],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Whatever the test's outcome, the child (and with it its ffmpeg) ends.
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.communicate()))
        self.assertEqual(p.stdout.readline().strip(), "writing")
        return p

    def test_ctrl_c_in_the_loop(self):
        p = self.start(10**9, "exit")
        time.sleep(0.5)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=120)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("KeyboardInterrupt", err)
        self.assertFalse(os.path.exists(self.out))
        wait_for_no_ffmpeg(self, self.dir)

    def test_the_interpreter_exiting_without_close(self):
        p = self.start(20, "exit")
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("wrote", out)
        self.assertFalse(os.path.exists(self.out))
        wait_for_no_ffmpeg(self, self.dir)

    def test_sigkill(self):
        p = self.start(20, "sleep")
        self.assertEqual(p.stdout.readline().strip(), "wrote")
        p.kill()
        p.communicate(timeout=60)
        self.assertFalse(os.path.exists(self.out))
        wait_for_no_ffmpeg(self, self.dir)


class Visualizing(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nvviz-py-vis-")
        self.video = os.path.join(self.dir, "in.mkv")
        clip(self.video)

    def draw(self, style):
        out = os.path.join(self.dir, f"{style}.mp4")
        vis = nvviz_bench.NVENCVisualizer(self.video, out, False, 0, -1, True, style=style)
        n = vis.vid_info["frame_num"]
        self.assertEqual(n, 45)
        boxes = np.array([[20, 30, 120, 200], [150, 40, 260, 220]], np.float32)
        ids = np.array([1, 2])
        scores = np.zeros((2, len(vis.CATEGORIES)), np.float32)
        scores[0, vis.CATEGORIES.index("stand")] = 0.9
        for i in range(n):
            vis.send_track((boxes + i, ids))
        vis.send((Result(boxes, scores), 500.0, ids))
        vis.send("DONE")
        vis.send_track("DONE")
        vis.progress_bar(n)
        vis.close()
        self.assertEqual(vis.result["status"], "ok")
        self.assertEqual(vis.result["verified"]["frames"], n)
        self.assertTrue(os.path.getsize(out) > 0)
        return vis

    def test_native_style(self):
        self.assertIsNotNone(self.draw("native").encoder)

    def test_pillow_style(self):
        vis = self.draw("pillow")
        self.assertEqual(vis.result["mode"], "original")

    def test_opencv_style(self):
        vis = self.draw("opencv")
        self.assertEqual(vis.result["mode"], "nvenc")
        if vis.result.get("stand_in"):
            # The wheel's build has no OpenCV: what stood in is in the result.
            self.assertEqual(vis.result["stand_in"]["missing"], "opencv")

    def test_bad_detections_are_one_line_errors(self):
        out = os.path.join(self.dir, "bad.mp4")
        vis = nvviz_bench.NVENCVisualizer(self.video, out, False, 0, -1, True)
        with self.assertRaises(ValueError):
            vis.send_track((np.zeros((2, 4)), np.array([1])))
        with self.assertRaises(ValueError):
            vis.send_track((np.zeros((1, 3)), np.array([1])))
        with self.assertRaises(ValueError) as caught:
            vis.send((Result(np.zeros((1, 4)), np.zeros((1, 7))), 0.0, [1]))
        self.assertIn("80 categories", str(caught.exception))
        vis.send("DONE")
        with self.assertRaises(ValueError):
            vis.send((Result(np.zeros((1, 4)), np.zeros((1, 80))), 0.0, [1]))
        vis.send_track("DONE")
        vis.close()
        self.assertEqual(vis.result["verified"]["frames"], 45)
        with self.assertRaises(ValueError):
            nvviz_bench.NVENCVisualizer(self.video, out, True, 0, -1, True)
        with self.assertRaises(ValueError):
            nvviz_bench.NVENCVisualizer(os.path.join(self.dir, "missing.mp4"), out, False, 0, -1, True)


class Doctor(unittest.TestCase):
    def test_doctor_is_what_the_cli_prints(self):
        report = nvviz_bench.doctor(trial=False)
        cli = subprocess.run(["nvviz-bench", "doctor", "--json", "--no-trial"],
                             capture_output=True, text=True)
        self.assertIn(cli.returncode, (0, 1), cli.stderr)
        self.assertEqual(sorted(report), sorted(json.loads(cli.stdout)))
        self.assertEqual(report["schema"], json.loads(cli.stdout)["schema"])


if __name__ == "__main__":
    unittest.main()
