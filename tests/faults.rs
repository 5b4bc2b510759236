//! Bad inputs get a clear one-line error, and odd sizes are never silently cropped.

mod common;

use common::*;

fn bench_video(video: &std::path::Path) -> std::process::Output {
    nvviz()
        .args([
            "bench", "--modes", "native", "--runs", "1", "--warmup", "0", "-q", "--video",
        ])
        .arg(video)
        .output()
        .unwrap()
}

fn one_line_error(out: &std::process::Output, needle: &str) {
    assert_exit(out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(needle), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"));
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
