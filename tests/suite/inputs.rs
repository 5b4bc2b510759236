//! Inputs as users' machines make them: rotated phone video, unusual frame
//! rates, detections recorded at another size, other containers, an unwritable
//! baseline directory. Each checked on the real binary's output.

use std::path::{Path, PathBuf};

use crate::common::*;

fn ffmpeg_make(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let status = std::process::Command::new(real_ffmpeg().expect("ffmpeg on PATH"))
        .args(["-v", "error", "-y"])
        .args(args)
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success(), "making {name}");
    path
}

fn render(video: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    nvviz()
        .args(["render", "--mode", "native", "-q", "--video"])
        .arg(video)
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// A phone video stored 320x240 with a 90° display rotation comes out in
/// display orientation, 240x320, not stretched back to the stored size.
#[test]
fn rotated_video_keeps_its_display_orientation() {
    let dir = tempfile::tempdir().unwrap();
    let stored = lavfi_video(dir.path(), "stored.mp4", "320x240", 10);
    // A display matrix, as phones write it (stream copy: the pixels stay 320x240).
    let stored = stored.display().to_string();
    let video = ffmpeg_make(
        dir.path(),
        "rotated.mp4",
        &["-i", &stored, "-c", "copy", "-metadata:s:v:0", "rotate=90"],
    );
    let decoders: &[&str] = if cfg!(feature = "opencv") {
        &["ffmpeg", "opencv"]
    } else {
        &["ffmpeg"]
    };
    for decoder in decoders {
        let out = dir.path().join(format!("out-{decoder}.mp4"));
        assert_exit(&render(&video, &out, &["--decoder", decoder]), 0);
        let (frames, w, h, _) = ffprobe_stream(&out);
        assert_eq!((frames, w, h), (10, 240, 320), "{decoder}");
    }
}

/// 1000 fps (ffmpeg's banner says "1k fps") and 24000/1001 are read exactly
/// and written back exactly.
#[test]
fn frame_rates_are_exact_rationals() {
    let dir = tempfile::tempdir().unwrap();
    for (rate, expected) in [("1000", "1000/1"), ("24000/1001", "24000/1001")] {
        let video = ffmpeg_make(
            dir.path(),
            &format!("r{}.mp4", rate.replace('/', "_")),
            &[
                "-f",
                "lavfi",
                "-i",
                &format!("testsrc2=size=160x120:rate={rate}"),
                "-frames:v",
                "12",
                "-pix_fmt",
                "yuv420p",
            ],
        );
        let out = dir
            .path()
            .join(format!("out{}.mp4", rate.replace('/', "_")));
        let run = render(&video, &out, &[]);
        assert_exit(&run, 0);
        let (frames, _, _, r) = ffprobe_stream(&out);
        assert_eq!((frames, r.as_str()), (12, expected), "{rate}");
    }
}

/// Boxes recorded at 160x120 drawn on 320x240 frames are scaled by 2 (said on
/// stderr), so the box lands where it was: its outline colour is found near
/// (200, 160) in the output, not in the top-left quarter.
#[test]
fn detections_recorded_at_another_size_are_scaled() {
    let dir = tempfile::tempdir().unwrap();
    let dets = dir.path().join("d.json");
    std::fs::write(
        &dets,
        r#"{"schema":"nvviz-bench.detections","version":1,"width":160,"height":120,"fps":25,
            "frames":[{"frame":0,"persons":[{"track_id":1,"box":[80,60,120,100],"actions":[]}]}]}"#,
    )
    .unwrap();
    let out = nvviz()
        .args([
            "render",
            "--mode",
            "native",
            "-q",
            "--frames",
            "1",
            "--resolution",
            "320x240",
        ])
        .arg("--detections")
        .arg(&dets)
        .arg("-o")
        .arg(dir.path().join("o.mp4"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("recorded at 160x120; boxes scaled by 2.000 x 2.000 to 320x240"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `-o out.mkv` is a Matroska file; an extension no container here writes is refused.
#[test]
fn the_container_follows_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let synthetic = |out: &Path| {
        nvviz()
            .args(["render", "--mode", "native", "-q", "--frames", "3"])
            .args(["--resolution", "160x120", "-o"])
            .arg(out)
            .output()
            .unwrap()
    };
    let mkv = dir.path().join("out.mkv");
    assert_exit(&synthetic(&mkv), 0);
    let format = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=format_name",
            "-of",
            "csv=p=0",
        ])
        .arg(&mkv)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&format.stdout).contains("matroska"));
    let run = synthetic(&dir.path().join("out.gif"));
    assert_exit(&run, 2);
    assert!(String::from_utf8_lossy(&run.stderr).contains(".gif is not a container this writes"));
}

/// An unwritable `--save-baseline` place fails before the run, naming the path.
#[test]
fn an_unwritable_baseline_fails_before_the_run() {
    let run = nvviz()
        .args([
            "bench",
            "--modes",
            "overlay-only",
            "--frames",
            "3",
            "--runs",
            "1",
            "-q",
        ])
        .args(["--save-baseline", "main"])
        .env("NVVIZ_BASELINE_DIR", "/proc/nvviz-no-such-dir")
        .output()
        .unwrap();
    assert_exit(&run, 2);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("--save-baseline") && err.contains("/proc/nvviz-no-such-dir"),
        "{err}"
    );
    assert!(
        !String::from_utf8_lossy(&run.stdout).contains("fps"),
        "no case ran"
    );
}

fn decoders() -> &'static [&'static str] {
    if cfg!(feature = "opencv") {
        &["ffmpeg", "opencv"]
    } else {
        &["ffmpeg"]
    }
}

/// 3 s at 30 fps, the AlphAction fixture's size.
fn clip_30fps(dir: &Path) -> PathBuf {
    ffmpeg_make(
        dir,
        "clip.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=30",
            "-frames:v",
            "90",
            "-pix_fmt",
            "yuv420p",
        ],
    )
}

/// The demo's `start`/`duration` in ms: from the frame nearest `start` while
/// frames are within `duration` — 1,000 ms + 500 ms at 30 fps is frames 30 to
/// 45, 16 frames, counted with ffprobe in the output; with either decoder.
#[test]
fn start_and_duration_cut_the_demos_window() {
    let dir = tempfile::tempdir().unwrap();
    let video = clip_30fps(dir.path());
    for decoder in decoders() {
        let out = dir.path().join(format!("window-{decoder}.mp4"));
        let run = render(
            &video,
            &out,
            &["--decoder", decoder, "--start", "1000", "--duration", "500"],
        );
        assert_exit(&run, 0);
        assert_eq!(ffprobe_stream(&out).0, 16, "{decoder}");
        let out = dir.path().join(format!("to-end-{decoder}.mp4"));
        assert_exit(
            &render(&video, &out, &["--decoder", decoder, "--start", "2000"]),
            0,
        );
        assert_eq!(
            ffprobe_stream(&out).0,
            30,
            "{decoder}: --duration -1 is to the end"
        );
    }
}

/// Frame 0 of a run started at 1,000 ms is the video's frame 30 in every
/// respect: its pixels (either decoder), the detections of frame 30 (boxes
/// and the captions held from keyframe 30) and the clock, 00:00:01.000 — the
/// snapshot is byte for byte the one of frame 30 without --start.
#[test]
fn a_run_from_start_draws_the_videos_own_frame_detections_and_clock() {
    let dir = tempfile::tempdir().unwrap();
    let video = clip_30fps(dir.path());
    let snapshot = |decoder: &str, extra: &[&str], n: &str| {
        let out = dir
            .path()
            .join(format!("snap-{decoder}-{n}-{}", extra.len()));
        nvviz()
            .args([
                "bench",
                "--modes",
                "overlay-only",
                "--runs",
                "1",
                "--warmup",
                "0",
                "-q",
            ])
            .args(["--decoder", decoder, "--video"])
            .arg(&video)
            .arg("--detections")
            .arg(fixture("detections/alphaction-v2.json"))
            .args(extra)
            .args(["--snapshot", n, "--snapshot-dir"])
            .arg(&out)
            .assert()
            .success();
        std::fs::read(out.join(format!("snapshot-frame{n}-native.png"))).unwrap()
    };
    for decoder in decoders() {
        let from_start = snapshot(decoder, &["--start", "1000"], "0");
        assert_eq!(from_start, snapshot(decoder, &[], "30"), "{decoder}");
        assert_ne!(from_start, snapshot(decoder, &[], "29"), "{decoder}");
    }
}

#[test]
fn a_window_outside_the_video_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let video = clip_30fps(dir.path());
    let out = dir.path().join("o.mp4");
    one_line_error(
        &render(&video, &out, &["--start", "9000"]),
        "--start 9000 is past the end: the video has 90 frames",
    );
    one_line_error(
        &render(&video, &out, &["--start", "1020", "--duration", "5"]),
        "holds no frame",
    );
    let run = nvviz()
        .args(["bench", "--modes", "overlay-only", "--start", "10", "-q"])
        .output()
        .unwrap();
    one_line_error(&run, "--start and --duration cut a window of --video");
    assert!(!out.exists());
}

/// `render --realtime`: the frames it kept up with are the video, and it says
/// how many (the count ffprobe finds in the output is the one it printed).
#[test]
fn a_realtime_render_holds_the_frames_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("live.mp4");
    let run = nvviz()
        .args([
            "render",
            "--mode",
            "native",
            "--realtime",
            "--resolution",
            "64x48",
        ])
        .args(["--frames", "12", "--fps", "30", "-q", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert_exit(&run, 0);
    let stdout = String::from_utf8_lossy(&run.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("realtime: wrote "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let written: u64 = line["realtime: wrote ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(line.contains("of 12 frames"), "{line}");
    assert!((1..=12).contains(&written), "{line}");
    assert_eq!(ffprobe_stream(&out).0, written, "{line}");
}

/// A video with a display-matrix rotation (a phone's portrait clip) gives the
/// same frames through both decoders, as players show it: at 90°, 180° and
/// 270°, the snapshot of frame 0 from `--decoder opencv` is byte for byte the
/// one from `--decoder ffmpeg` (OpenCV 4.6 alone turned ±90° the wrong way).
#[cfg(feature = "opencv")]
#[test]
fn rotated_videos_decode_to_the_same_frames_with_either_decoder() {
    let dir = tempfile::tempdir().unwrap();
    let src = lavfi_video(dir.path(), "src.mp4", "160x96", 2);
    for degrees in ["90", "180", "270"] {
        let rotated = dir.path().join(format!("rot{degrees}.mp4"));
        let status = std::process::Command::new(real_ffmpeg().unwrap())
            .args(["-v", "error", "-y", "-i"])
            .arg(&src)
            .args(["-c", "copy", "-metadata:s:v:0"])
            .arg(format!("rotate={degrees}"))
            .arg(&rotated)
            .status()
            .unwrap();
        assert!(status.success());
        let snapshot = |decoder: &str| {
            let out = dir.path().join(format!("{degrees}-{decoder}"));
            std::fs::create_dir_all(&out).unwrap();
            let run = nvviz()
                .args([
                    "bench", "--modes", "native", "--runs", "1", "--warmup", "0", "-q",
                ])
                .args(["--snapshot", "0", "--decoder", decoder, "--video"])
                .arg(&rotated)
                .arg("--snapshot-dir")
                .arg(&out)
                .output()
                .unwrap();
            assert_exit(&run, 0);
            std::fs::read(out.join("snapshot-frame0-native.png")).unwrap()
        };
        let (ffmpeg, opencv) = (snapshot("ffmpeg"), snapshot("opencv"));
        assert!(ffmpeg == opencv, "{degrees}°: the decoders' frames differ");
    }
}
