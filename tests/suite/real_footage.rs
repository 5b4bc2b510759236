//! Real footage nobody on this team made: OpenCV's sample videos, from the
//! distribution's `opencv-doc` package (`scripts/install-deps.sh` installs it).
//! Each is rendered in every mode and the output checked with ffprobe: frame
//! count, size. `tree.avi` is damaged part-way (444 frames stored, 68 decode):
//! what decodes is rendered and the missing frames are named.

use std::path::{Path, PathBuf};

use crate::common::*;

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
        .arg("--export-json")
        .arg(dir.path().join("r.json"))
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
    // Recorded as what wrote it, and checked: OpenCV read every frame back.
    let case = &read_json(&dir.path().join("r.json"))["cases"][0];
    assert_eq!(case["sink"], "opencv-writer", "{case:#}");
    assert_eq!(case["encoder"]["used"], "opencv-mp4v");
    assert_eq!(case["verified"]["frames"], 20, "{case:#}");
    assert_eq!(case["verified"]["width"], 768);
}

/// The RGB pixel at (x, y) of frame `n` of `video`, decoded by ffmpeg.
fn pixel(video: &Path, n: u64, x: u32, y: u32, width: u32) -> [u8; 3] {
    let rgb = frame_rgb(video, n);
    let i = ((y * width + x) * 3) as usize;
    [rgb[i], rgb[i + 1], rgb[i + 2]]
}

/// 20 frames of vtest.avi drawn natively into `out`, with `extra` arguments.
fn render_vtest(video: &Path, out: &Path, extra: &[&std::ffi::OsStr]) {
    let mut cmd = nvviz();
    cmd.args([
        "render", "--mode", "native", "-q", "--frames", "20", "--video",
    ])
    .arg(video)
    .arg("-o")
    .arg(out)
    .args(extra);
    assert_exit(&cmd.output().unwrap(), 0);
}

/// AVA-format action results (what AlphAction writes: video, seconds,
/// normalised box, action id, person id, score) on real footage: boxes and
/// captions where the file says, from its keyframe on, nothing before.
#[test]
fn an_ava_csv_renders_its_boxes_and_captions_where_the_file_says() {
    let Some(video) = sample("vtest.avi") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("ava.csv");
    // vtest.avi: 768x576 at 10 fps. Person 1 from 1.0 s (frame 10), moved at
    // 1.5 s (frame 15); its 0.2 score is under the demo's threshold.
    std::fs::write(
        &csv,
        "vtest,1.0,0.25,0.25,0.5,0.75,12,1,0.9\n\
         vtest,1.0,0.25,0.25,0.5,0.75,80,1,0.2\n\
         vtest,1.5,0.5,0.25,0.75,0.75,14,1,0.8\n",
    )
    .unwrap();
    // 20 frames of vtest.avi drawn natively, with these detections or none.
    let render = |name: &str, detections: Option<&Path>| {
        let out = dir.path().join(name);
        let extra: Vec<&std::ffi::OsStr> = match detections {
            Some(d) => vec!["--detections".as_ref(), d.as_os_str()],
            None => vec![],
        };
        render_vtest(&video, &out, &extra);
        out
    };
    let out = render("ava.mp4", Some(&csv));
    let red = |p: [u8; 3]| p[0] > 150 && p[1] < 90 && p[2] < 90;
    // The box's left edge: x = 0.25 * 768 = 192, halfway down it.
    let left_edge = |n| pixel(&out, n, 193, 288, 768);
    assert!(
        !red(left_edge(5)),
        "no box before the keyframe: {:?}",
        left_edge(5)
    );
    assert!(
        red(left_edge(10)),
        "the box at its keyframe: {:?}",
        left_edge(10)
    );
    assert!(
        red(left_edge(14)),
        "held until the next: {:?}",
        left_edge(14)
    );
    // At 1.5 s it moved right (x = 384): its old edge is gone, the new one drawn.
    assert!(!red(left_edge(16)), "{:?}", left_edge(16));
    assert!(red(pixel(&out, 16, 385, 288, 768)));
    // Its captions ("stand 0.90", then "walk 0.80") sit on a panel above the box:
    // the panel's pixels differ from the same frame rendered without the file.
    let plain = render("plain.mp4", None);
    let above = |v: &Path, n| pixel(v, n, 200, 135, 768);
    let differs = |a: [u8; 3], b: [u8; 3]| a.iter().zip(b).any(|(x, y)| x.abs_diff(y) > 40);
    assert!(
        differs(above(&out, 12), above(&plain, 12)),
        "a caption panel above the box"
    );
    assert!(
        !differs(above(&out, 5), above(&plain, 5)),
        "nothing drawn before the keyframe"
    );
}

/// `--decoder nvdec` on a codec NVDEC has never decoded (vtest.avi is DivX 3,
/// MPEG-4 part 2 v3) — and, on a machine without a GPU, with no driver at all:
/// the trial fails on every machine, the CPU decodes instead, and the note,
/// the results and the render's own lines say so; the output is whole.
#[test]
fn nvdec_that_cannot_decode_falls_back_to_the_cpu_and_says_why() {
    let Some(video) = sample("vtest.avi") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let NvdecRender {
        stdout,
        stderr,
        results,
        out,
    } = render_on_nvdec_in(&video, 15, dir.path());
    assert!(
        stderr.contains("NVDEC cannot decode") && stderr.contains("decoding on the CPU instead"),
        "{stderr}"
    );
    assert!(stdout.contains("decoded by ffmpeg (CPU): "), "{stdout}");
    let decode = &results["workload"]["decode"];
    assert_eq!(decode["requested"], "nvdec", "{decode}");
    assert_eq!(decode["ran"], "ffmpeg", "{decode}");
    let cause = decode["fallback"]["cause"].as_str().unwrap();
    assert!(
        [
            "driver_library_missing",
            "cuda_unavailable",
            "nvdec_unsupported"
        ]
        .contains(&cause),
        "{cause}"
    );
    for run in results["cases"][0]["runs"].as_array().unwrap() {
        assert_eq!(run["decode"]["decoder"], "ffmpeg");
        assert!(run["decode"]["frames"].as_u64().unwrap() >= 15);
        assert!(run["decode"]["cpu_ms_per_frame"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(ffprobe_stream(&out).0, 15);
}

/// `--preload` decodes the window once before the run: the output is the
/// same video frame for frame as the run that decodes while it draws (the
/// same frames, the same drawing), the results say the frames were held,
/// and without a --video it is refused in one line.
#[test]
fn preload_draws_the_same_frames_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let video = lavfi_video(dir.path(), "in.mp4", "320x240", 30);
    let decoded = |out: &Path| {
        let run = std::process::Command::new(real_ffmpeg().unwrap())
            .args(["-v", "error", "-i"])
            .arg(out)
            .args(["-f", "framemd5", "-"])
            .output()
            .unwrap();
        String::from_utf8(run.stdout).unwrap()
    };
    let mut md5 = Vec::new();
    for preload in [false, true] {
        let (out, json) = (
            dir.path().join(format!("o{preload}.mp4")),
            dir.path().join("r.json"),
        );
        let mut cmd = nvviz();
        cmd.args([
            "render", "--mode", "native", "--frames", "20", "--start", "200", "--video",
        ])
        .arg(&video)
        .arg("-o")
        .arg(&out)
        .arg("--export-json")
        .arg(&json);
        if preload {
            cmd.arg("--preload");
        }
        let run = cmd.output().unwrap();
        assert_exit(&run, 0);
        let results = read_json(&json);
        assert_eq!(
            results["workload"]["preloaded"].as_bool().unwrap_or(false),
            preload
        );
        let runs = results["cases"][0]["runs"].as_array().unwrap();
        assert_eq!(runs[0].get("decode").is_some(), !preload, "{:#}", runs[0]);
        md5.push(decoded(&out));
    }
    assert!(
        md5[0].lines().filter(|l| !l.starts_with('#')).count() == 20,
        "{}",
        md5[0]
    );
    assert_eq!(md5[0], md5[1]);
    let refused = nvviz()
        .args(["render", "--preload", "--frames", "5", "-o"])
        .arg(dir.path().join("x.mp4"))
        .output()
        .unwrap();
    assert_exit(&refused, 2);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--preload decodes a --video"), "{stderr}");
}

/// A tracker's boxes (MOT) with an AVA CSV's actions, as the demo draws
/// them: the box follows the tracker on every frame, before the person's
/// first keyframe too, and from the keyframe on carries its caption.
#[test]
fn mot_tracks_carry_an_ava_csvs_captions() {
    let Some(video) = sample("vtest.avi") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (mot, ava) = (dir.path().join("tracks.txt"), dir.path().join("ava.csv"));
    // Track 1 moves 10 px right a frame (MOT frames from 1); its action at 1.0 s (frame 10).
    let rows: String = (1..=20)
        .map(|f| format!("{f},1,{},200,150,300,1,-1,-1,-1\n", 100 + 10 * (f - 1)))
        .collect();
    std::fs::write(&mot, rows).unwrap();
    std::fs::write(&ava, "vtest,1.0,0.6,0.1,0.9,0.9,12,1,0.9\n").unwrap();
    let render = |name: &str, ava: Option<&Path>| {
        let out = dir.path().join(name);
        let extra: Vec<&std::ffi::OsStr> = match ava {
            Some(csv) => vec![
                "--detections".as_ref(),
                csv.as_os_str(),
                "--tracks".as_ref(),
                mot.as_os_str(),
            ],
            None => vec!["--detections".as_ref(), mot.as_os_str()],
        };
        render_vtest(&video, &out, &extra);
        out
    };
    let both = render("both.mp4", Some(&ava));
    let red = |p: [u8; 3]| p[0] > 150 && p[1] < 90 && p[2] < 90;
    for n in [3u64, 12, 17] {
        let left = 100 + 10 * n as u32;
        let edge = pixel(&both, n, left + 1, 350, 768);
        assert!(
            red(edge),
            "frame {n}: the tracker's box at x={left}: {edge:?}"
        );
    }
    // Not the AVA box (x from 0.6 · 768 = 460): the tracker's is drawn.
    assert!(!red(pixel(&both, 12, 462, 350, 768)));
    // The caption from frame 10 on, above the tracker's box: there the frame
    // differs from the same tracks drawn without the CSV; before it, not.
    let boxes_only = render("boxes.mp4", None);
    let differs = |a: [u8; 3], b: [u8; 3]| a.iter().zip(b).any(|(x, y)| x.abs_diff(y) > 40);
    let above = |v: &Path, n: u64| pixel(v, n, 100 + 10 * n as u32 + 20, 188, 768);
    assert!(
        differs(above(&both, 12), above(&boxes_only, 12)),
        "caption at frame 12"
    );
    assert!(
        !differs(above(&both, 5), above(&boxes_only, 5)),
        "no caption before the keyframe"
    );
    // --tracks without an AVA CSV is one clear line.
    let out = nvviz()
        .args(["render", "--mode", "native", "--frames", "5", "--video"])
        .arg(&video)
        .arg("--detections")
        .arg(&mot)
        .arg("--tracks")
        .arg(&mot)
        .arg("-o")
        .arg(dir.path().join("x.mp4"))
        .output()
        .unwrap();
    one_line_error(&out, "is not an AVA CSV");
}
