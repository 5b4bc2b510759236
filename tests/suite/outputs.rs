//! Outputs that cannot be written: every writer refuses or fails with one line,
//! leaves no half-written file, and keeps the results measured so far.

use crate::common::*;
use serde_json::Value;

/// Stderr's last line (render prints its fallback notice above the error).
fn last_error_line(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !err.contains("panicked") && !err.contains("internal error"),
        "{err}"
    );
    err.trim().lines().last().unwrap_or_default().to_string()
}

fn small(command: &str) -> assert_cmd::Command {
    sized(command, "20")
}

fn sized(command: &str, frames: &str) -> assert_cmd::Command {
    let mut cmd = nvviz();
    cmd.args([command, "--frames", frames, "--resolution", "320x240", "-q"]);
    if command == "bench" {
        cmd.args(["--runs", "1", "--warmup", "0"]);
    }
    cmd
}

#[test]
fn read_only_directories_fail_at_once_for_every_writer() {
    let Some(ro) = Tmpfs::mount("ro,size=64k") else {
        return;
    };
    let dir = ro.path();
    let mut cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "render".into(),
                "-o".into(),
                format!("{}/o.mp4", dir.display()),
            ],
            "choose another -o",
        ),
        (
            vec![
                "bench".into(),
                "--modes".into(),
                "native".into(),
                "--keep-outputs".into(),
                dir.display().to_string(),
            ],
            "choose another --keep-outputs",
        ),
        (
            vec![
                "bench".into(),
                "--export-json".into(),
                format!("{}/r.json", dir.display()),
            ],
            "choose another path",
        ),
        (
            vec![
                "bench".into(),
                "--modes".into(),
                "native".into(),
                "--snapshot".into(),
                "1".into(),
                "--snapshot-dir".into(),
                dir.display().to_string(),
            ],
            "choose another path",
        ),
        (
            vec![
                "report".into(),
                fixture("results/ci-2core-bench.json").display().to_string(),
                "-o".into(),
                format!("{}/report", dir.display()),
            ],
            "choose another -o",
        ),
    ];
    if cfg!(feature = "opencv") {
        cases.push((
            vec![
                "render".into(),
                "--mode".into(),
                "fast".into(),
                "-o".into(),
                format!("{}/o.mp4", dir.display()),
            ],
            "choose another -o",
        ));
    }
    for (args, needle) in cases {
        let mut cmd = if args[0] == "report" {
            let mut cmd = nvviz();
            cmd.arg("report");
            cmd
        } else {
            small(&args[0])
        };
        let out = cmd.args(&args[1..]).output().unwrap();
        assert_exit(&out, 2);
        let line = last_error_line(&out);
        assert!(line.contains(needle), "{args:?}: {line}");
        assert!(line.contains("Read-only file system"), "{args:?}: {line}");
    }
    assert!(ro.entries().is_empty());
}

#[test]
fn a_full_disk_fails_the_case_keeps_the_results_and_leaves_no_partial_file() {
    let Some(full) = Tmpfs::mount("size=160k") else {
        return;
    };
    // render: the encoder hits ENOSPC; nothing is left behind.
    let out = sized("render", "60")
        .arg("-o")
        .arg(full.path().join("o.mp4"))
        .output()
        .unwrap();
    assert_exit(&out, 2);
    let line = last_error_line(&out);
    assert!(line.contains("No space left on device"), "{line}");
    assert!(line.contains("free space"), "{line}");
    assert!(full.entries().is_empty(), "{:?}", full.entries());

    // bench: the encoding case fails as output_not_writable, the overlay-only case
    // before it is kept, and the results file is whole.
    let json = full.path().join("r.json");
    let out = sized("bench", "60")
        .args(["--modes", "overlay-only,native", "--keep-outputs"])
        .arg(full.path().join("kept"))
        .arg("--export-json")
        .arg(&json)
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let results: Value = read_json(&json);
    assert_eq!(results["incomplete"], false);
    let cases = results["cases"].as_array().unwrap();
    let (drawn, encoded) = cases.split_at(cases.len() - 1);
    assert!(drawn
        .iter()
        .all(|c| c["status"] == "ok" && c["mode"] == "overlay-only"));
    assert_eq!(encoded[0]["status"], "failed");
    assert_eq!(encoded[0]["reason"]["cause"], "output_not_writable");
    assert_eq!(full.entries(), ["kept", "r.json"]);
    assert_eq!(
        std::fs::read_dir(full.path().join("kept")).unwrap().count(),
        0
    );

    // OpenCV's writer reports no I/O error of its own: the full disk is still
    // named as such, not taken for a corrupt video.
    if cfg!(feature = "opencv") {
        for entry in full.entries() {
            let p = full.path().join(entry);
            if p.is_dir() {
                std::fs::remove_dir_all(&p).unwrap();
            } else {
                std::fs::remove_file(&p).unwrap();
            }
        }
        let out = sized("render", "60")
            .args(["--mode", "fast", "-o"])
            .arg(full.path().join("o.mp4"))
            .output()
            .unwrap();
        assert_exit(&out, 2);
        let line = last_error_line(&out);
        assert!(line.contains("No space left on device"), "{line}");
        assert!(full.entries().is_empty(), "{:?}", full.entries());
    }
}

#[test]
fn device_files_are_never_replaced() {
    for args in [
        vec!["render", "-o", "/dev/full"],
        vec!["bench", "--export-json", "/dev/full"],
    ] {
        let out = small(args[0]).args(&args[1..]).output().unwrap();
        assert_exit(&out, 2);
        assert!(last_error_line(&out).contains("/dev/full exists and is not a regular file"));
    }
    let meta = std::fs::metadata("/dev/full").unwrap();
    assert!(!meta.is_file());
}

#[test]
fn outputs_equal_to_inputs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let video = lavfi_video(dir.path(), "native_native_h264_nvenc_p1.mp4", "320x240", 5);
    let before = std::fs::read(&video).unwrap();
    let dets = dir.path().join("d.json");
    std::fs::write(
        &dets,
        r#"{"schema":"nvviz-bench.detections","version":1,"frames":[]}"#,
    )
    .unwrap();
    let runs: [(&[&str], &str); 4] = [
        (&["--export-json", "VIDEO"], "--export-json"),
        (&["--export-json", "DETS"], "is the input detections"),
        (&["--keep-outputs", "DIR"], "--keep-outputs"),
        (&["--export-bencher", "VIDEO"], "--export-bencher"),
    ];
    for (extra, needle) in runs {
        let mut cmd = nvviz();
        cmd.args(["bench", "--modes", "native", "-q", "--video"])
            .arg(&video)
            .arg("--detections")
            .arg(&dets);
        for a in extra {
            match *a {
                "VIDEO" => cmd.arg(&video),
                "DETS" => cmd.arg(&dets),
                "DIR" => cmd.arg(dir.path()),
                a => cmd.arg(a),
            };
        }
        let out = cmd.output().unwrap();
        assert_exit(&out, 2);
        let line = last_error_line(&out);
        assert!(line.contains(needle), "{extra:?}: {line}");
        assert!(line.contains("choose another path"), "{line}");
    }
    assert_eq!(std::fs::read(&video).unwrap(), before);
}

#[test]
fn two_runs_at_once_in_one_directory_keep_their_own_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let spawn = |name: &str, persons: &str| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("nvviz-bench"));
        cmd.env_remove("NVVIZ_FFMPEG")
            .args(["bench", "--frames", "40", "--resolution", "320x240", "-q"])
            .args([
                "--runs",
                "1",
                "--warmup",
                "0",
                "--modes",
                "native,encode-only",
            ])
            .args(["--persons", persons, "--keep-outputs"])
            .arg(dir.path().join("kept"))
            .arg("--export-json")
            .arg(dir.path().join(name));
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn("a.json", "3");
    let b = spawn("b.json", "7");
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Each results file is whole and its own; both writers renamed complete videos in.
    assert_eq!(
        read_json(&dir.path().join("a.json"))["workload"]["persons"],
        3
    );
    assert_eq!(
        read_json(&dir.path().join("b.json"))["workload"]["persons"],
        7
    );
    let mut kept: Vec<String> = std::fs::read_dir(dir.path().join("kept"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    kept.sort();
    assert_eq!(
        kept,
        [
            "encode-only_none_h264_nvenc_p1.mp4",
            "native_native_h264_nvenc_p1.mp4"
        ]
    );
    let ffmpeg = real_ffmpeg().unwrap();
    for name in &kept {
        let path = dir.path().join("kept").join(name);
        let status = std::process::Command::new(&ffmpeg)
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-f", "null", "-"])
            .status()
            .unwrap();
        assert!(status.success(), "{name} does not decode");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".nvviz")
        })
        .collect();
    assert!(leftovers.is_empty());
}

/// Outputs are created as the umask says (rw-r--r-- under 022), like a shell's
/// `>`: results, exports and the rendered video, not tempfile's 0600.
#[test]
fn outputs_are_readable_as_the_umask_says() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let csv = dir.path().join("r.csv");
    let video = dir.path().join("v.mp4");
    // The umask is inherited: the test process's own (022 in CI, as root).
    let umask = nvviz_bench::atomic_file::umask();
    let out = tiny_bench("1")
        .arg("--export-json")
        .arg(&json)
        .arg("--export-csv")
        .arg(&csv)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let out = nvviz()
        .args([
            "render",
            "--mode",
            "native",
            "--resolution",
            "64x64",
            "--frames",
            "2",
            "-q",
            "-o",
        ])
        .arg(&video)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    for path in [&json, &csv, &video] {
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask, "{}: {mode:o}", path.display());
    }
}

/// A reader that closes stdout early (`nvviz-bench doctor | head -1`) is not a
/// bug: no "internal error", no panic exit.
#[test]
fn a_closed_stdout_ends_quietly() {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' doctor --no-trial | head -c 1 >/dev/null; echo \"exit ${{PIPESTATUS:-?}}\"",
            env!("CARGO_BIN_EXE_nvviz-bench")
        ))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("internal error") && !err.contains("panicked"),
        "{err}"
    );
    let status = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' doctor --no-trial | head -c 1 >/dev/null; exit ${{PIPESTATUS[0]}}",
            env!("CARGO_BIN_EXE_nvviz-bench")
        ))
        .status()
        .unwrap();
    assert!(matches!(status.code(), Some(0 | 1)), "{status:?}");
}

/// A control character in a label does not stop the rest of the frame's
/// overlay in any style: a label with a NUL draws exactly what the same label
/// with a space draws (it is sanitized once, before any style sees it).
#[test]
fn a_nul_in_a_label_draws_like_a_space_in_every_style() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = |label: &str, sub: &str| {
        let dets = dir.path().join(format!("{sub}.json"));
        let person = |id: u32, x: u32, label: &str| {
            format!(
                r#"{{"track_id":{id},"box":[{x},20,{},100],"actions":[{{"label":{},"score":0.9}}]}}"#,
                x + 40,
                serde_json::to_string(label).unwrap()
            )
        };
        std::fs::write(
            &dets,
            format!(
                r#"{{"schema":"nvviz-bench.detections","version":1,"frames":[{{"frame":0,"persons":[{},{}]}}]}}"#,
                person(1, 10, label),
                person(2, 120, "after")
            ),
        )
        .unwrap();
        let out_dir = dir.path().join(sub);
        let out = nvviz()
            .args([
                "bench",
                "--modes",
                "overlay-only",
                "--resolution",
                "320x240",
                "--frames",
                "1",
                "--warmup",
                "0",
                "--runs",
                "1",
                "-q",
            ])
            .arg("--detections")
            .arg(&dets)
            .args(["--snapshot", "0", "--snapshot-dir"])
            .arg(&out_dir)
            .output()
            .unwrap();
        assert_exit(&out, 0);
        out_dir
    };
    let (nul, space) = (snapshot("walk\0ing", "nul"), snapshot("walk ing", "space"));
    let mut styles = 0;
    for entry in std::fs::read_dir(&space).unwrap() {
        let name = entry.unwrap().file_name();
        let a = std::fs::read(space.join(&name)).unwrap();
        let b = std::fs::read(nul.join(&name)).unwrap();
        assert!(a == b, "{name:?}: the NUL label drew differently");
        styles += 1;
    }
    assert!(styles >= 2, "{styles} snapshots");
}
