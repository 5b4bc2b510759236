//! Ctrl-C / SIGTERM during a bench or a render: exit 130, ffmpeg children killed
//! and reaped, temporary files gone, results measured so far written and marked.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn ffmpeg_children_of(out_dir: &std::path::Path) -> usize {
    ffmpeg_with(out_dir, "")
}

/// ffmpeg processes whose command line names `dir` (and `also`).
fn ffmpeg_with(dir: &std::path::Path, also: &str) -> usize {
    let needle = dir.to_string_lossy().into_owned();
    command_lines()
        .iter()
        .filter(|cmd| cmd.contains("ffmpeg") && cmd.contains(&needle) && cmd.contains(also))
        .count()
}

fn wait_for(mut done: impl FnMut() -> bool, limit: Duration) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_during_bench_keeps_results_and_leaves_no_ffmpeg() {
    let cases = sigterm_during_bench(&["--runs", "1"]);
    assert!(
        cases
            .iter()
            .any(|c| c["mode"] == "encoder-ceiling" && c["status"] == "ok"),
        "the earlier case is kept: {cases:#?}"
    );
}

/// Round-robin: the ceiling's first run is done when encode-only's first run is
/// stopped; the ceiling keeps it (its second never ran) and both say why they stopped.
#[test]
fn sigterm_during_an_interleaved_bench_keeps_every_finished_run() {
    let cases = sigterm_during_bench(&["--interleave", "--runs", "2"]);
    for case in &cases {
        assert_eq!(case["reason"]["cause"], "interrupted", "{case:#}");
    }
    let ceiling = &cases[0];
    assert_eq!(ceiling["mode"], "encoder-ceiling");
    assert_eq!(ceiling["runs"].as_array().unwrap().len(), 1, "{ceiling:#}");
    assert!(ceiling["fps"]["mean"].as_f64().unwrap() > 0.0);
}

fn sigterm_during_bench(extra: &[&str]) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("outputs");
    let json = dir.path().join("r.json");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("nvviz-bench"))
        .args([
            "bench",
            "--modes",
            "encoder-ceiling,encode-only",
            "--codecs",
            "libx264",
            "--resolution",
            "320x240",
            "-q",
        ])
        .args(["--frames", "3000"])
        .args(extra)
        .arg("--keep-outputs")
        .arg(&outputs)
        .arg("--export-json")
        .arg(&json)
        .env_remove("NVVIZ_FFMPEG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the encode-only case runs: its ffmpeg reads raw frames from stdin
    // (`-i -`) and writes into `outputs`. One scan of /proc decides (two scans raced
    // the ceiling's ffmpeg exiting between them, and the signal hit its verification).
    wait_for(
        || ffmpeg_with(&outputs, "\0-i\0-\0") > 0,
        Duration::from_secs(120),
    );
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    wait_for(|| ffmpeg_children_of(&outputs) == 0, Duration::from_secs(5));
    let results = read_json(&json);
    assert_eq!(results["interrupted"], true);
    assert_eq!(results["incomplete"], true);
    let cases = results["cases"].as_array().unwrap();
    let last = cases.last().unwrap();
    assert_eq!(last["reason"]["cause"], "interrupted");
    cases.clone()
}

#[test]
fn sigint_during_render_leaves_no_partial_video() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.mp4");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("nvviz-bench"))
        .args([
            "render",
            "--mode",
            "native",
            "--codec",
            "libx264",
            "--resolution",
            "320x240",
            "--frames",
            "3000",
            "-q",
            "-o",
        ])
        .arg(&output)
        .env_remove("NVVIZ_FFMPEG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The partial file appears beside the output while encoding.
    wait_for(
        || ffmpeg_children_of(dir.path()) > 0,
        Duration::from_secs(60),
    );
    std::thread::sleep(Duration::from_millis(500));
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    assert_eq!(child.wait().unwrap().code(), Some(130));
    wait_for(
        || ffmpeg_children_of(dir.path()) == 0,
        Duration::from_secs(5),
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "nothing left behind, found {left:?}");
}

/// SIGKILL cannot be caught: the kernel itself must end ffmpeg
/// (`PR_SET_PDEATHSIG`), and the next run removes the dead run's scratch files
/// (named by its PID) — here the encoder ceiling's 1080p ring file.
#[test]
fn sigkill_leaves_no_ffmpeg_and_the_next_run_removes_its_scratch_files() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let outputs = dir.path().join("outputs");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nvviz-bench"))
        .args([
            "bench",
            "--modes",
            "encoder-ceiling",
            "--frames",
            "100000",
            "--runs",
            "1",
            "-q",
        ])
        .arg("--keep-outputs")
        .arg(&outputs)
        .env("TMPDIR", &tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The ceiling's ffmpeg runs once the ring file is written.
    wait_for(|| ffmpeg_children_of(&outputs) > 0, Duration::from_secs(60));
    let pid = child.id();
    let scratch = |pid: u32| {
        std::fs::read_dir(&tmp)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .contains(&format!("-{pid}-"))
            })
            .count()
    };
    assert!(
        scratch(pid) > 0,
        "the run names its scratch files by its PID"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Gone within a second or two (a zombie has no command line).
    wait_for(|| ffmpeg_children_of(&outputs) == 0, Duration::from_secs(5));
    assert!(
        scratch(pid) > 0,
        "a killed run cannot clean up after itself"
    );
    let out = nvviz()
        .args(["compare", "/nonexistent-a.json", "/nonexistent-b.json"])
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert_eq!(scratch(pid), 0, "the next run sweeps the dead run's files");
}

/// Ctrl-C while a run is still preparing (the 1080p ring being rendered, the
/// writer being chosen) is honoured there, not after: exit 130, nothing left.
#[test]
fn sigint_while_preparing_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nvviz-bench"))
        .args([
            "bench", "--modes", "native", "--frames", "1000000", "--runs", "1", "-q",
        ])
        .arg("--keep-outputs")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Once the tool listens (an observable state, not a guessed delay: start-up
    // on a loaded machine takes what it takes), Ctrl-C comes while it prepares
    // a million frames.
    assert!(
        common::wait_until_catching(child.id(), libc::SIGINT),
        "the tool never installed its Ctrl-C handling"
    );
    // SAFETY: plain signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    // A liveness bound, not a timing claim: it must stop, not run on.
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "ignored SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    wait_for(
        || ffmpeg_children_of(dir.path()) == 0,
        Duration::from_secs(5),
    );
}

/// A signal while an output is being decoded back is an interruption, not a
/// verdict: the decode of the encoder's trial (first) must not turn into a
/// fallback, the check of the case's output (second) not into
/// `verification_failed`. Either way the case says `interrupted` and the tool
/// exits 130; a case stopped while checking keeps its measured run.
#[test]
fn sigterm_while_decoding_back_is_an_interruption_not_a_failed_check() {
    let trial = sigterm_at_decode(1);
    assert_eq!(trial["reason"]["cause"], "interrupted", "{trial:#}");
    assert!(trial["encoder"]["fallback"].is_null(), "{trial:#}");
    let check = sigterm_at_decode(2);
    assert_eq!(check["reason"]["cause"], "interrupted", "{check:#}");
    assert_eq!(check["runs"].as_array().unwrap().len(), 1, "{check:#}");
    assert!(check["verified"].is_null(), "{check:#}");
}

/// The one case of a bench whose `nth` decode-back (`-progress pipe:1`) hangs
/// until SIGTERM comes.
fn sigterm_at_decode(nth: usize) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("hung");
    let ffmpeg = fake_ffmpeg(
        dir.path(),
        &format!(
            r#"case " $* " in
  *" -progress pipe:1 "*)
    echo >> '{count}'
    if [ "$(wc -l < '{count}')" -ge {nth} ]; then touch '{marker}'; exec sleep 60; fi ;;
esac
exec ffmpeg "$@""#,
            count = dir.path().join("decodes").display(),
            marker = marker.display()
        ),
    );
    let json = dir.path().join("r.json");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("nvviz-bench"))
        .args([
            "bench",
            "--modes",
            "encode-only",
            "--codecs",
            "libx264",
            "--resolution",
            "320x240",
            "--frames",
            "30",
            "--runs",
            "1",
            "-q",
        ])
        .arg("--export-json")
        .arg(&json)
        .env("NVVIZ_FFMPEG", &ffmpeg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(|| marker.exists(), Duration::from_secs(60));
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let results = read_json(&json);
    assert_eq!(results["interrupted"], true);
    results["cases"][0].clone()
}
