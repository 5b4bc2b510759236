//! Real footage nobody on this team made: OpenCV's sample videos, from the
//! distribution's `opencv-doc` package (`scripts/install-deps.sh` installs it).
//! Each is rendered in every mode and the output checked with ffprobe: frame
//! count, size. `tree.avi` is damaged part-way (444 frames stored, 68 decode):
//! what decodes is rendered and the missing frames are named.

mod common;

use std::path::{Path, PathBuf};

use common::*;

const SAMPLES: &str = "/usr/share/doc/opencv-doc/examples/data";

fn sample(name: &str) -> Option<PathBuf> {
    let dir =
        std::env::var_os("NVVIZ_SAMPLES").map_or_else(|| PathBuf::from(SAMPLES), PathBuf::from);
    let path = dir.join(name);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "skipped: {} not found (install the opencv-doc package: scripts/install-deps.sh does)",
            path.display()
        );
        None
    }
}

fn render(video: &Path, mode: &str, frames: Option<u64>, out: &Path) -> std::process::Output {
    let mut cmd = nvviz();
    cmd.args(["render", "--mode", mode, "-q", "--video"])
        .arg(video)
        .arg("-o")
        .arg(out);
    if let Some(n) = frames {
        cmd.args(["--frames", &n.to_string()]);
    }
    cmd.output().unwrap()
}

#[test]
fn opencv_samples_render_in_every_mode_and_decode_back() {
    let dir = tempfile::tempdir().unwrap();
    let modes: &[&str] = if cfg!(feature = "opencv") {
        &["original", "fast", "nvenc", "native"]
    } else {
        &["nvenc", "native"]
    };
    for (name, frames, size) in [
        ("vtest.avi", 40, (768, 576)),
        ("Megamind_bugy.avi", 40, (720, 528)),
    ] {
        let Some(video) = sample(name) else { return };
        for mode in modes {
            let out = dir.path().join(format!("{name}-{mode}.mp4"));
            let run = render(&video, mode, Some(frames), &out);
            assert_exit(&run, 0);
            let (n, w, h, _) = ffprobe_stream(&out);
            assert_eq!(n, frames, "{name} {mode}");
            assert_eq!((w, h), size, "{name} {mode}");
        }
    }
}

#[test]
fn a_video_damaged_part_way_renders_what_decodes_and_says_what_is_missing() {
    let Some(video) = sample("tree.avi") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tree.mp4");
    let run = render(&video, "native", None, &out);
    assert_exit(&run, 0);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("holds 444 frames but only the first 68 decode (376 missing"),
        "{err}"
    );
    assert_eq!(ffprobe_stream(&out).0, 68);
    // Asking for more than decodes is refused at once, with the number that does.
    let run = render(&video, "native", Some(100), &dir.path().join("more.mp4"));
    assert_exit(&run, 2);
    assert!(String::from_utf8_lossy(&run.stderr)
        .contains("has 68 decodable frames; ask for at most 68"));
    assert!(!dir.path().join("more.mp4").exists());
    // bench measures the decodable frames, and says so.
    let json = dir.path().join("r.json");
    let run = nvviz()
        .args([
            "bench", "--modes", "native", "--runs", "1", "--warmup", "0", "-q", "--video",
        ])
        .arg(&video)
        .arg("--export-json")
        .arg(&json)
        .output()
        .unwrap();
    assert_exit(&run, 0);
    assert!(String::from_utf8_lossy(&run.stderr).contains("only the first 68 decode"));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(r["workload"]["frames"], 68);
    assert_eq!(r["cases"][0]["verified"]["frames"], 68);
}

/// The demo's own fallback with no ffmpeg at all: OpenCV reads the video
/// (VideoCapture) and writes it (VideoWriter mp4v), and every output says the
/// encoder that ran — the guide's pipe cannot run without ffmpeg.
#[cfg(feature = "opencv")]
#[test]
fn without_ffmpeg_opencv_reads_and_writes_a_real_video_as_the_demo_does() {
    let Some(video) = sample("vtest.avi") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.mp4");
    let out = nvviz()
        .args([
            "render",
            "--mode",
            "nvenc",
            "--decoder",
            "opencv",
            "--frames",
            "20",
        ])
        .args(["--ffmpeg", "/nonexistent/ffmpeg", "-q", "--video"])
        .arg(&video)
        .arg("-o")
        .arg(&output)
        .env_remove("NVVIZ_FFMPEG")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .contains("Successfully encoded 20 frames with opencv-mp4v (fallback from h264_nvenc)"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no ffmpeg: OpenCV reads"), "{stderr}");
    let (frames, w, h, _) = ffprobe_stream(&output);
    assert_eq!((frames, w, h), (20, 768, 576));
}
