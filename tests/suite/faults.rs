//! Bad inputs get a clear one-line error, and odd sizes are never silently cropped.

use crate::common::*;

fn bench_video(video: &std::path::Path) -> std::process::Output {
    nvviz()
        .args([
            "bench", "--modes", "native", "--runs", "1", "--warmup", "0", "-q", "--video",
        ])
        .arg(video)
        .output()
        .unwrap()
}

#[test]
fn missing_video() {
    one_line_error(
        &bench_video(std::path::Path::new("/nonexistent/in.mp4")),
        "does not exist",
    );
}

#[test]
fn not_a_video_and_truncated_video() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, "hello").unwrap();
    one_line_error(&bench_video(&text), "no video stream ffmpeg can read");

    let full = lavfi_video(dir.path(), "full.mp4", "320x240", 40);
    let bytes = std::fs::read(&full).unwrap();
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    one_line_error(&bench_video(&cut), "truncated/corrupt");
}

#[test]
fn odd_sizes_are_padded_through_ffmpeg_and_a_cropping_writer_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let mut modes = "native".to_string();
    if cfg!(feature = "opencv") {
        modes.push_str(",fast");
    }
    nvviz()
        .args([
            "bench",
            "--modes",
            &modes,
            "--runs",
            "1",
            "--warmup",
            "0",
            "--frames",
            "6",
            "--resolution",
            "161x121",
            "-q",
            "--export-json",
        ])
        .arg(&json)
        .output()
        .unwrap();
    let results = read_json(&json);
    let native = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["mode"] == "native")
        .unwrap();
    assert_eq!(native["status"], "ok");
    assert_eq!(
        (
            native["verified"]["width"].as_u64(),
            native["verified"]["height"].as_u64()
        ),
        (Some(162), Some(122))
    );
    if cfg!(feature = "opencv") {
        // OpenCV's VideoWriter crops 161x121 to 160x120: a failure, never a silent result.
        let fast = results["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["mode"] == "fast")
            .unwrap();
        assert_eq!(fast["status"], "failed");
        assert!(
            fast["reason"]["message"]
                .as_str()
                .unwrap()
                .contains("cropped the odd size"),
            "{fast:#}"
        );
    }
}

#[test]
fn bad_detections_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, needle) in [
        ("bad.json", "{not json", "nvviz-bench.detections"),
        (
            "v9.json",
            r#"{"schema":"nvviz-bench.detections","version":9,"frames":[]}"#,
            "version 9",
        ),
        ("bad.csv", "1,2,three,4,5,6\n", "line 1"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = nvviz()
            .args(["bench", "--modes", "overlay-only", "--detections"])
            .arg(&path)
            .output()
            .unwrap();
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{name}: {err}");
    }
}

#[test]
fn zero_frame_videos_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    // A valid stream header with no frames after it.
    let empty = dir.path().join("empty.y4m");
    std::fs::write(&empty, "YUV4MPEG2 W320 H240 F25:1 Ip A1:1 C420jpeg\n").unwrap();
    one_line_error(&bench_video(&empty), "has no decodable video frames");
    // An mp4 that ffmpeg wrote with zero frames holds no stream at all.
    let status = std::process::Command::new(real_ffmpeg().unwrap())
        .args(["-v", "error", "-f", "lavfi", "-i"])
        .arg("testsrc=size=320x240:rate=25")
        .args(["-frames:v", "0", "-c:v", "libx264"])
        .arg(dir.path().join("zero.mp4"))
        .status()
        .unwrap();
    assert!(status.success());
    one_line_error(
        &bench_video(&dir.path().join("zero.mp4")),
        "no video stream",
    );
}

#[test]
fn variable_frame_rate_video_uses_every_decoded_frame_once() {
    let dir = tempfile::tempdir().unwrap();
    let vfr = dir.path().join("vfr.mp4");
    // 40 frames: the first 20 at 25 fps, the rest at 12.5 fps.
    let status = std::process::Command::new(real_ffmpeg().unwrap())
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25",
        ])
        .args(["-frames:v", "40", "-vf"])
        .arg("setpts='if(lt(N,20),N,2*N-20)/25/TB'")
        .args(["-fps_mode", "vfr", "-pix_fmt", "yuv420p"])
        .arg(&vfr)
        .status()
        .unwrap();
    assert!(status.success());
    let json = dir.path().join("r.json");
    let out = nvviz()
        .args([
            "bench", "--modes", "native", "--runs", "1", "--warmup", "0", "-q", "--video",
        ])
        .arg(&vfr)
        .arg("--export-json")
        .arg(&json)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("variable frame rate"));
    let results = read_json(&json);
    assert_eq!(results["workload"]["frames"], 40);
    assert_eq!(results["cases"][0]["verified"]["frames"], 40);
}

#[test]
fn frame_sizes_outside_16_to_8192_are_refused_and_the_extremes_work() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = lavfi_video(dir.path(), "tiny.mp4", "8x8", 3);
    one_line_error(&bench_video(&tiny), "16 to 8192 pixels a side");
    for resolution in ["8x8", "9000x1080"] {
        let out = nvviz()
            .args(["bench", "--resolution", resolution])
            .output()
            .unwrap();
        one_line_error(&out, "from 16 to 8192");
    }
    // Below NVENC's minimum and at its maximum width: the CPU fallback encodes both.
    for resolution in ["16x16", "8192x1080"] {
        let json = dir.path().join(format!("{resolution}.json"));
        let out = nvviz()
            .args([
                "bench",
                "--modes",
                "native",
                "--runs",
                "1",
                "--warmup",
                "0",
                "--frames",
                "2",
                "-q",
                "--resolution",
                resolution,
                "--export-json",
            ])
            .arg(&json)
            .output()
            .unwrap();
        assert_exit(&out, 0);
        let (w, h) = resolution.split_once('x').unwrap();
        let verified = &read_json(&json)["cases"][0]["verified"];
        assert_eq!(verified["width"].to_string(), w);
        assert_eq!(verified["height"].to_string(), h);
    }
}

#[test]
fn nvenc_frame_size_errors_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let fake = scripted_ffmpeg(
        dir.path(),
        "echo '[h264_nvenc @ 0x1] InitializeEncoder failed: invalid param (8): Frame Dimension less than the minimum supported value.' >&2; exit 1",
    );
    let out = nvviz()
        .args(["render", "--frames", "2", "--no-fallback", "--ffmpeg"])
        .arg(&fake)
        .arg("-o")
        .arg(dir.path().join("out.mp4"))
        .output()
        .unwrap();
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Frame Dimension less than the minimum"),
        "{err}"
    );
    assert!(err.contains("--resolution"), "{err}");
    assert!(!dir.path().join("out.mp4").exists());
}

/// A snapshot past the run's frames would be a frame without detections, so no
/// overlay: refused before anything runs, with the frames there are.
#[test]
fn a_snapshot_beyond_the_run_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = nvviz()
        .args([
            "bench", "--modes", "native", "--frames", "5", "--warmup", "2", "-q",
        ])
        .args(["--snapshot", "50", "--snapshot-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    one_line_error(&out, "--snapshot 50: this run has frames 0 to 6");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// A broken `--ffmpeg` with `--video` is named as broken, with its own fix, not
/// met with "install ffmpeg".
#[test]
fn a_broken_ffmpeg_for_a_video_says_what_is_wrong_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let video = lavfi_video(dir.path(), "v.mp4", "64x64", 3);
    let garbage = fake_ffmpeg(dir.path(), "echo 'not ffmpeg'; exit 0");
    let out = nvviz()
        .args(["bench", "--modes", "native", "--runs", "1", "-q", "--video"])
        .arg(&video)
        .arg("--ffmpeg")
        .arg(&garbage)
        .output()
        .unwrap();
    one_line_error(&out, "does not behave like ffmpeg");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("install ffmpeg"));
}

/// Everything checkable before the run is checked before it: a missing
/// `--baseline` and an output name the file system cannot hold stop the tool
/// at once (exit 2, one line), before any case is measured or encoded.
#[test]
fn a_missing_baseline_and_an_unnameable_output_fail_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let bench = nvviz()
        .env("NVVIZ_BASELINE_DIR", dir.path())
        .args([
            "bench",
            "--modes",
            "native",
            "--resolution",
            "64x48",
            "--frames",
            "2",
        ])
        .args(["--runs", "1", "--baseline", "nosuch"])
        .output()
        .unwrap();
    assert_exit(&bench, 2);
    let stderr = String::from_utf8_lossy(&bench.stderr);
    assert!(stderr.contains("baseline 'nosuch'"), "{stderr}");
    assert!(stderr.contains("--save-baseline nosuch"), "{stderr}");
    assert!(!stderr.contains("[1/"), "a case ran first: {stderr}");
    assert!(
        bench.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&bench.stdout)
    );

    let long = dir.path().join(format!("{}.mp4", "v".repeat(300)));
    let render = nvviz()
        .args([
            "render",
            "--mode",
            "native",
            "--resolution",
            "64x48",
            "--frames",
            "2",
            "-o",
        ])
        .arg(&long)
        .output()
        .unwrap();
    assert_exit(&render, 2);
    let stderr = String::from_utf8_lossy(&render.stderr);
    assert!(stderr.contains("more than the 255"), "{stderr}");
    assert!(!stderr.contains("Using"), "it encoded first: {stderr}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// A temp dir that is not there: the trial encodes cannot start, and the
/// error names the directory and the variable to set.
#[test]
fn a_missing_temp_dir_is_named_with_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-tmp");
    let out = nvviz()
        .args(["bench", "--modes", "native", "--runs", "1", "--frames", "2"])
        .args(["--resolution", "160x120", "-q"])
        .env("TMPDIR", &missing)
        .output()
        .unwrap();
    one_line_error(&out, "set TMPDIR to a writable directory");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&missing.display().to_string()),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
