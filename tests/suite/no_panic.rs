//! The fault matrix swept through every command: whatever the input, the tool
//! exits 0, 1 or 2 with a one-line error — never a panic, never a signal.

use std::path::Path;

use crate::common::*;

const DETS: &str = r#"{"schema":"nvviz-bench.detections","version":1,"frames":[FRAMES]}"#;

fn detections(dir: &Path, name: &str, frames: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, DETS.replace("FRAMES", frames)).unwrap();
    path.display().to_string()
}

/// Every bad input the matrix names, as extra arguments for `bench`/`render`.
fn faults(dir: &Path) -> Vec<(String, Vec<String>)> {
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let path = |p: &Path| p.display().to_string();
    let text = dir.join("notes.mp4");
    std::fs::write(&text, "hello").unwrap();
    let video = lavfi_video(dir, "ok.mp4", "320x240", 12);
    let cut = dir.join("cut.mp4");
    let bytes = std::fs::read(&video).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let empty = dir.join("empty.y4m");
    std::fs::write(&empty, "YUV4MPEG2 W320 H240 F25:1 Ip A1:1 C420jpeg\n").unwrap();
    let tiny = lavfi_video(dir, "tiny.mp4", "8x8", 3);
    let odd = lavfi_video(dir, "odd.mp4", "161x121", 4);
    let person = |bbox: &str, label: &str, score: &str| {
        format!(r#"{{"track_id":1,"box":{bbox},"actions":[{{"label":{label},"score":{score}}}]}}"#)
    };
    let frame = |n: u64, persons: &[String]| {
        format!(r#"{{"frame":{n},"persons":[{}]}}"#, persons.join(","))
    };
    let weird = detections(
        dir,
        "weird.json",
        &[
            frame(0, &[person("[-50,-50,10000,10000]", r#""""#, "0.5")]),
            frame(
                1,
                &[person("[300,200,100,50]", r#""跑步 🏃‍♂️ \u202ertl""#, "1e39")],
            ),
            frame(
                2,
                &[person(
                    "[3e38,3e38,-3e38,1]",
                    &format!("\"{}\"", "long ".repeat(400)),
                    "-1",
                )],
            ),
            frame(99_999_999_999, &[person("[0,0,1,1]", r#""far""#, "0.1")]),
        ]
        .join(","),
    );
    let mot = dir.join("nan.csv");
    std::fs::write(
        &mot,
        "1,1,NaN,inf,-inf,5,nan,-1,-1,-1\n2,2,10,10,-5,-5,1,-1,-1,-1\n",
    )
    .unwrap();
    let bad_json = dir.join("bad.json");
    std::fs::write(&bad_json, "{\"schema\":").unwrap();
    let v9 = dir.join("v9.json");
    std::fs::write(
        &v9,
        r#"{"schema":"nvviz-bench.detections","version":9,"frames":[]}"#,
    )
    .unwrap();
    let garbage = dir.join("garbage");
    std::fs::create_dir_all(&garbage).unwrap();
    let garbage = fake_ffmpeg(&garbage, "echo 'not ffmpeg'; exit 0");
    let quits = dir.join("quits");
    std::fs::create_dir_all(&quits).unwrap();
    let quits = scripted_ffmpeg(&quits, "exit 1");
    let dies = dir.join("dies");
    std::fs::create_dir_all(&dies).unwrap();
    let dies = scripted_ffmpeg(
        &dies,
        r#"case " $* " in *" 320x240 "*|*" -i /"*|*" -i "/*) exec /usr/bin/env ffmpeg "$@" ;; esac
head -c 20000 > /dev/null; exit 1"#,
    );
    let fifo = dir.join("detections.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let noexec = dir.join("noexec-ffmpeg");
    std::fs::write(&noexec, "#!/bin/sh\n").unwrap();
    vec![
        (
            "missing video".into(),
            s(&["--video", "/nonexistent/in.mp4"]),
        ),
        ("not a video".into(), vec!["--video".into(), path(&text)]),
        ("truncated video".into(), vec!["--video".into(), path(&cut)]),
        (
            "zero-frame video".into(),
            vec!["--video".into(), path(&empty)],
        ),
        ("8x8 video".into(), vec!["--video".into(), path(&tiny)]),
        ("odd-size video".into(), vec!["--video".into(), path(&odd)]),
        (
            "frames beyond the video".into(),
            vec![
                "--video".into(),
                path(&video),
                "--frames".into(),
                "40".into(),
            ],
        ),
        (
            "weird detections".into(),
            vec!["--detections".into(), weird],
        ),
        (
            "NaN/inf MOT rows".into(),
            vec!["--detections".into(), path(&mot)],
        ),
        (
            "malformed JSON".into(),
            vec!["--detections".into(), path(&bad_json)],
        ),
        (
            "wrong schema version".into(),
            vec!["--detections".into(), path(&v9)],
        ),
        (
            "missing detections".into(),
            s(&["--detections", "/nonexistent.json"]),
        ),
        (
            "FIFO as detections".into(),
            vec!["--detections".into(), path(&fifo)],
        ),
        (
            "/dev/zero as detections".into(),
            s(&["--detections", "/dev/zero"]),
        ),
        (
            "a directory as detections".into(),
            vec!["--detections".into(), path(dir)],
        ),
        ("16x16 frames".into(), s(&["--resolution", "16x16"])),
        ("0x0 frames".into(), s(&["--resolution", "0x0"])),
        ("fps 0".into(), s(&["--fps", "0"])),
        ("fps NaN".into(), s(&["--fps", "NaN"])),
        ("frames 0".into(), s(&["--frames", "0"])),
        (
            "frames u64::MAX".into(),
            s(&["--frames", "18446744073709551615"]),
        ),
        ("frames negative".into(), s(&["--frames=-1"])),
        ("a million persons".into(), s(&["--persons", "1000000"])),
        ("GOP beyond any video".into(), s(&["--gop", "999999999"])),
        ("negative timeout".into(), s(&["--write-timeout=-1"])),
        (
            "ffmpeg missing".into(),
            s(&["--ffmpeg", "/nonexistent/ffmpeg"]),
        ),
        (
            "ffmpeg not executable".into(),
            vec!["--ffmpeg".into(), path(&noexec)],
        ),
        (
            "ffmpeg prints garbage".into(),
            vec!["--ffmpeg".into(), path(&garbage)],
        ),
        (
            "ffmpeg exits at once".into(),
            vec!["--ffmpeg".into(), path(&quits)],
        ),
        (
            "ffmpeg dies mid-run".into(),
            vec![
                "--ffmpeg".into(),
                path(&dies),
                "--frames".into(),
                "30".into(),
                "--resolution".into(),
                "352x288".into(),
            ],
        ),
        ("no fallback".into(), s(&["--no-fallback"])),
    ]
}

const FALLBACK_WORD: &str = "back from h264_nvenc";

/// What each fault must end in, for `bench` and for `render`: the exit status
/// and a phrase of the cause (in stderr or stdout). A fault the tool takes in
/// its stride ends 0 with its fallback or result named.
fn expected(what: &str) -> [(i32, &'static str); 2] {
    const FALLBACK: &str = FALLBACK_WORD;
    const RAN: &str = "native";
    match what {
        "missing video" => [(2, "does not exist or is not a file"); 2],
        "not a video" | "truncated video" => [(2, "has no video stream ffmpeg can read"); 2],
        "zero-frame video" => [(2, "has no decodable video frames"); 2],
        "8x8 video" => [(2, "frames must be 16 to 8192 pixels a side"); 2],
        "odd-size video" => [(0, RAN), (0, FALLBACK)],
        "frames beyond the video" => [(2, "has 12 decodable frames; ask for at most 12"); 2],
        "weird detections" | "NaN/inf MOT rows" | "16x16 frames" => [(0, RAN), (0, FALLBACK)],
        "malformed JSON" => [(2, "not a detections document"); 2],
        "wrong schema version" => [(2, "detections schema version 9 is not supported"); 2],
        "missing detections" => [(2, "cannot read detections file"); 2],
        "FIFO as detections" | "/dev/zero as detections" | "a directory as detections" => {
            [(2, "is not a regular file"); 2]
        }
        "0x0 frames" => [(2, "width and height must be whole numbers from 16 to 8192"); 2],
        "fps 0" | "fps NaN" => [(2, "--fps must be between 0 and 1000"); 2],
        "frames 0" => [(2, "0 is not in 1..=1000000000"); 2],
        "frames u64::MAX" => [(2, "18446744073709551615 is not in 1..=1000000000"); 2],
        "frames negative" => [(2, "invalid value '-1' for '--frames"); 2],
        "a million persons" => [(2, "1000000 is not in 0..=200"); 2],
        "GOP beyond any video" => [(2, "999999999 is not in 0..=100000"); 2],
        "negative timeout" => [(2, "must be a number of seconds between 0 and 3600"); 2],
        "ffmpeg missing" => [(0, "ffmpeg_not_found"), (0, "ffmpeg not found")],
        "ffmpeg not executable" => [(0, "ffmpeg_not_executable"), (0, "is not executable")],
        "ffmpeg prints garbage" => [(0, "ffmpeg_unusable"), (0, "does not behave like ffmpeg")],
        "ffmpeg exits at once" => [(1, "failed ("), (2, "the encoded video failed its check")],
        "ffmpeg dies mid-run" => [(1, "failed ("), (2, "ffmpeg")],
        "no fallback" => [
            (1, "failed (driver_library_missing)"),
            (2, "Cannot load libcuda.so.1"),
        ],
        other => panic!("fault '{other}' has no expected outcome: add one"),
    }
}

fn assert_clean_exit(what: &str, out: &std::process::Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    assert!(
        matches!(code, Some(0..=2)),
        "{what}: exit {:?} (a signal or panic)\n{err}",
        out.status
    );
    assert!(
        !err.contains("panicked")
            && !err.contains("internal error")
            && !err.contains("RUST_BACKTRACE"),
        "{what}: panic\n{err}"
    );
    if code == Some(2) {
        // Ours is one line; clap's usage errors add a usage hint below theirs.
        assert!(
            err.lines().any(|l| l.starts_with("error: ")),
            "{what}: {err}"
        );
    }
}

/// The fault groups, each its own test so a failure names its family and the
/// families run in parallel.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Group {
    Video,
    Detections,
    Ffmpeg,
    Numbers,
}

fn group_of(what: &str) -> Group {
    if what.contains("video") {
        Group::Video
    } else if what.contains("detections")
        || what.contains("MOT")
        || what.contains("JSON")
        || what.contains("schema")
    {
        Group::Detections
    } else if what.starts_with("ffmpeg") || what == "no fallback" {
        Group::Ffmpeg
    } else {
        Group::Numbers
    }
}

#[test]
fn no_bad_video_makes_bench_or_render_panic() {
    sweep(Group::Video);
}

#[test]
fn no_bad_detections_make_bench_or_render_panic() {
    sweep(Group::Detections);
}

#[test]
fn no_broken_ffmpeg_makes_bench_or_render_panic() {
    sweep(Group::Ffmpeg);
}

#[test]
fn no_hostile_number_makes_bench_or_render_panic() {
    sweep(Group::Numbers);
}

/// Every group holds its faults: `Numbers` takes whatever no other group names,
/// so a renamed fault would otherwise move there unseen and leave its own group thin.
#[test]
fn every_group_holds_faults() {
    let dir = tempfile::tempdir().unwrap();
    let groups: Vec<Group> = faults(dir.path())
        .iter()
        .map(|(w, _)| group_of(w))
        .collect();
    for g in [
        Group::Video,
        Group::Detections,
        Group::Ffmpeg,
        Group::Numbers,
    ] {
        assert!(
            groups.iter().filter(|x| **x == g).count() >= 3,
            "{g:?}: {groups:?}"
        );
    }
}

fn sweep(group: Group) {
    let dir = tempfile::tempdir().unwrap();
    let faults: Vec<(String, Vec<String>)> = faults(dir.path())
        .into_iter()
        .filter(|(what, _)| group_of(what) == group)
        .collect();
    let mut tried = 0;
    for (what, extra) in &faults {
        let commands: [Vec<String>; 2] = [
            vec![
                "bench".into(),
                "--modes".into(),
                "original,fast,native,encode-only".into(),
            ],
            vec![
                "render".into(),
                "--mode".into(),
                "nvenc".into(),
                "-o".into(),
                dir.path().join("out.mp4").display().to_string(),
            ],
        ];
        for (command, (code, says)) in commands.into_iter().zip(expected(what)) {
            let mut cmd = nvviz();
            cmd.args(&command).arg("-q");
            if !extra.iter().any(|a| a.starts_with("--frames")) {
                cmd.args(["--frames", "4"]);
            }
            if command[0] == "bench" {
                cmd.args(["--runs", "1", "--warmup", "0"]);
            }
            if !extra.iter().any(|a| a == "--resolution" || a == "--video") {
                cmd.args(["--resolution", "320x240"]);
            }
            let out = cmd.args(extra).output().unwrap();
            let label = format!("{} with {what}", command[..3].join(" "));
            assert_clean_exit(&label, &out);
            let text = String::from_utf8_lossy(&out.stderr) + String::from_utf8_lossy(&out.stdout);
            // Without a GPU the NVENC trial fails; on a GPU machine with NVENC
            // the "no fallback" and fallback rows succeed instead: say so.
            let nvenc_here = text.contains("h264_nvenc  ") && !text.contains("fallback");
            if nvenc_here && (what == "no fallback" || says == FALLBACK_WORD) {
                eprintln!("{label}: NVENC works here; the fallback expectation does not apply");
            } else {
                assert_eq!(
                    out.status.code(),
                    Some(code),
                    "{label}: expected exit {code}\n{text}"
                );
                assert!(
                    text.contains(says),
                    "{label}: expected '{says}' in the output\n{text}"
                );
            }
            tried += 1;
        }
    }
    eprintln!(
        "{group:?}: {tried} runs across {} faults: none panicked, each ended as expected",
        faults.len()
    );
}

/// doctor, report and compare on their own bad inputs.
#[test]
fn no_bad_input_makes_doctor_report_or_compare_panic() {
    let dir = tempfile::tempdir().unwrap();
    // Without ffmpeg, OpenCV's writer is still a path that writes video (exit 0);
    // a build without OpenCV has none left (exit 1).
    let doctor_code = if cfg!(feature = "opencv") { 0 } else { 1 };
    let fifo = dir.path().join("results.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let fifo = fifo.display().to_string();
    for (args, code, says) in [
        (
            vec!["doctor", "--ffmpeg", "/nonexistent/ffmpeg"],
            doctor_code,
            "ffmpeg not found",
        ),
        (
            vec!["report", "--format", "md", "/nonexistent.json"],
            2,
            "cannot read results file /nonexistent.json: No such file",
        ),
        (
            vec!["report", "--format", "md", "/dev/zero"],
            2,
            "is not a regular file",
        ),
        (
            vec!["report", "--format", "md", &fifo],
            2,
            "is not a regular file",
        ),
        (
            vec!["compare", "/nonexistent.json", "/nonexistent.json"],
            2,
            "cannot read results file",
        ),
    ] {
        let out = nvviz().args(&args).output().unwrap();
        let label = args.join(" ");
        assert_clean_exit(&label, &out);
        let text = String::from_utf8_lossy(&out.stderr) + String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(code), "{label}\n{text}");
        assert!(text.contains(says), "{label}: expected '{says}'\n{text}");
    }
}
