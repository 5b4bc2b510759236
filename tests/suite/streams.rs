//! Every subcommand's stdout on a full device and into a closed pipe: one
//! path for every write (`cli/stdio.rs`). A full device is the tool's one-line
//! error and exit 2 — never "internal error" (exit 101), never exit 0 with the
//! text lost; a reader that left is no error at all: the command ends with its
//! own status (a gate's regression still exits 1).

use std::process::{Command, Stdio};

use crate::common::*;

const RESULTS: &str = "tests/fixtures/results/ci-2core-bench.json";

/// Each subcommand that writes to stdout, with what it exits when all is well.
fn commands() -> Vec<(Vec<String>, i32)> {
    let results = repo().join(RESULTS).display().to_string();
    let r = results.as_str();
    let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        (words(&["doctor", "--no-trial"]), -1),
        (words(&["doctor", "--no-trial", "--json"]), -1),
        (words(&["report", r, "--format", "md"]), 0),
        (words(&["report", r, "--format", "csv"]), 0),
        (words(&["report", r, "--format", "json"]), 0),
        (words(&["compare", r, r]), 0),
        (words(&["compare", r, r, "--json"]), 0),
        (words(&["compare", r, r, "--markdown"]), 0),
        (words(&["completions", "bash"]), 0),
        (words(&["completions", "zsh"]), 0),
        (words(&["man"]), 0),
        (words(&["--help"]), 0),
        (words(&["--version"]), 0),
        (words(&["bench", "--help"]), 0),
        (
            words(&[
                "bench",
                "--modes",
                "native",
                "--resolution",
                "64x48",
                "--frames",
                "2",
                "--runs",
                "1",
                "--warmup",
                "0",
                "-q",
            ]),
            0,
        ),
        (
            words(&[
                "bench",
                "--modes",
                "native",
                "--resolution",
                "64x48",
                "--frames",
                "2",
                "--runs",
                "1",
                "--warmup",
                "0",
                "-q",
                "--export-csv",
                "-",
            ]),
            0,
        ),
    ]
}

fn no_bug(args: &[String], stderr: &str) {
    assert!(
        !stderr.contains("internal error") && !stderr.contains("panicked"),
        "{args:?}: {stderr}"
    );
}

#[test]
fn a_full_device_is_one_line_and_exit_2_for_every_subcommand() {
    for (args, _) in commands() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_nvviz-bench"))
            .args(&args)
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        no_bug(&args, &stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        let line = stderr
            .lines()
            .find(|l| l.contains("cannot write to standard output"))
            .unwrap_or_else(|| panic!("{args:?}: no cause in {stderr}"));
        assert!(line.starts_with("error: "), "{args:?}: {line}");
        assert!(line.contains("No space left on device"), "{line}");
    }
}

#[test]
fn a_closed_pipe_ends_quietly_with_the_commands_own_status() {
    for (args, code) in commands() {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader); // the reader left before the first byte
        let out = Command::new(env!("CARGO_BIN_EXE_nvviz-bench"))
            .args(&args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        no_bug(&args, &stderr);
        assert!(
            !stderr.contains("cannot write to standard output"),
            "{args:?}: a closed pipe is not an error: {stderr}"
        );
        match code {
            // doctor's own verdict: 0 or 1 (no path can write video here), never 2.
            -1 => assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{args:?}: {:?} {stderr}",
                out.status
            ),
            c => assert_eq!(out.status.code(), Some(c), "{args:?}: {stderr}"),
        }
    }
}

/// The gate's verdict survives a reader that left: `compare | head -1` of a
/// regression still exits 1.
#[test]
fn a_regression_still_exits_1_into_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join(RESULTS)).unwrap()).unwrap();
    let mut slower = base.clone();
    for case in slower["cases"].as_array_mut().unwrap() {
        if let Some(fps) = case["fps"].as_object_mut() {
            for key in ["mean", "median", "min", "max"] {
                if let Some(v) = fps.get(key).and_then(|v| v.as_f64()) {
                    fps.insert(key.into(), (v * 0.3).into());
                }
            }
        }
        for run in case["runs"].as_array_mut().into_iter().flatten() {
            if let Some(v) = run["fps"].as_f64() {
                run["fps"] = (v * 0.3).into();
            }
        }
    }
    let now = dir.path().join("now.json");
    std::fs::write(&now, serde_json::to_string(&slower).unwrap()).unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_nvviz-bench"))
        .arg("compare")
        .arg(repo().join(RESULTS))
        .arg(&now)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
