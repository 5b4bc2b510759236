//! Ctrl-C / SIGTERM during a bench or a render: exit 130, ffmpeg children killed
//! and reaped, temporary files gone, results measured so far written and marked.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

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

/// The child's exit status once it ends; failing with `what` if it is still
/// running after `limit` (a liveness bound, not a timing claim).
fn exit_within(
    child: &mut std::process::Child,
    limit: Duration,
    what: &str,
) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(started.elapsed() < limit, "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
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
        crate::common::wait_until_catching(child.id(), libc::SIGINT),
        "the tool never installed its Ctrl-C handling"
    );
    // SAFETY: plain signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    // A liveness bound, not a timing claim: it must stop, not run on.
    let status = exit_within(&mut child, Duration::from_secs(30), "ignored SIGINT");
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

/// Every wait listens: `--realtime` at 0.01 fps waits 100 s for its next
/// frame, and SIGTERM ends that wait at once (exit 130, the results file
/// written), not when the frame is due.
#[test]
fn sigterm_during_a_long_realtime_wait_is_answered_now() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nvviz-bench"))
        .args(["bench", "--modes", "native", "--realtime", "--fps", "0.01"])
        .args(["--frames", "3", "--runs", "1", "--warmup", "0", "-q"])
        .args(["--resolution", "64x48", "--export-json"])
        .arg(&json)
        .arg("--keep-outputs")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The first frame is written at once; the run then waits 100 s for the next.
    wait_for(
        || ffmpeg_children_of(dir.path()) > 0,
        Duration::from_secs(120),
    );
    // SAFETY: plain signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    // A liveness bound far below the 100 s wait, not a timing claim.
    let status = exit_within(
        &mut child,
        Duration::from_secs(60),
        "SIGTERM waited for the next frame",
    );
    assert_eq!(status.code(), Some(130));
    let results = read_json(&json);
    assert_eq!(results["interrupted"], true);
}

/// SIGKILL cannot be caught: a killed render's partial video (beside the
/// output) and a killed bench's partial case output (in --keep-outputs) carry
/// its PID, and the next run writing there removes them.
#[test]
fn partial_outputs_of_killed_runs_are_removed_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let leftovers = |dir: &std::path::Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".nvviz-"))
            .collect()
    };
    let kill_when_writing = |args: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nvviz-bench"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for(
            || ffmpeg_children_of(dir.path()) > 0 && !leftovers(dir.path()).is_empty(),
            Duration::from_secs(120),
        );
        child.kill().unwrap();
        child.wait().unwrap();
        wait_for(
            || ffmpeg_children_of(dir.path()) == 0,
            Duration::from_secs(10),
        );
    };
    let out = dir.path().join("out.mp4");
    let out = out.to_str().unwrap();
    let keep = dir.path().to_str().unwrap();
    let long = ["--resolution", "320x240", "--frames", "100000", "-q"];
    kill_when_writing(&[&["render", "--mode", "native", "-o", out][..], &long].concat());
    let left = leftovers(dir.path());
    assert!(
        left.len() == 1 && left[0].starts_with(".nvviz-case-"),
        "the killed render's partial video: {left:?}"
    );
    // A bench writing its outputs there removes it (and leaves its own when killed).
    kill_when_writing(
        &[
            &[
                "bench",
                "--modes",
                "native",
                "--runs",
                "1",
                "--keep-outputs",
                keep,
            ][..],
            &long,
        ]
        .concat(),
    );
    let left = leftovers(dir.path());
    assert!(
        left.len() == 1 && left[0].starts_with(".nvviz-case-"),
        "the killed bench's partial output alone: {left:?}"
    );
    // The next render into that directory removes it.
    let next = nvviz()
        .args([
            "render",
            "--mode",
            "native",
            "--resolution",
            "64x48",
            "--frames",
            "2",
            "-q",
        ])
        .args(["-o", out])
        .output()
        .unwrap();
    assert_exit(&next, 0);
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

/// A write blocked on an encoder that stopped reading does not wait out
/// `--write-timeout` (here 600 s) when SIGTERM comes: the stalled ffmpeg is
/// killed at once, the case says `interrupted`, the tool exits 130.
#[test]
fn sigterm_during_a_write_blocked_on_a_stalled_encoder_is_answered_now() {
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("nvviz-blocked-{}", std::process::id());
    // Trials (320x240) and decode checks (-i /path) work; the real run never reads its stdin.
    let fake = scripted_ffmpeg(
        dir.path(),
        &format!(
            r#"case " $* " in *" 320x240 "*|*" -i /"*) exec /usr/bin/env ffmpeg "$@" ;; esac
exec -a {marker} sleep 600"#
        ),
    );
    let json = dir.path().join("r.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nvviz-bench"))
        .args(["bench", "--modes", "encode-only", "--codecs", "libx264"])
        .args(["--resolution", "640x480", "--frames", "200", "--runs", "1"])
        .args(["--warmup", "0", "--write-timeout", "600", "-q", "--ffmpeg"])
        .arg(&fake)
        .arg("--export-json")
        .arg(&json)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The stalled encoder is running, and our writer has filled the pipe and
    // blocks (a thread asleep in pipe_wait_writable or pipe_write: an
    // observable state, /proc/PID/task/*/wchan).
    wait_for(
        || command_lines().iter().any(|c| c.contains(&marker)),
        Duration::from_secs(120),
    );
    wait_for(
        || {
            std::fs::read_dir(format!("/proc/{}/task", child.id()))
                .into_iter()
                .flatten()
                .flatten()
                .any(|t| {
                    std::fs::read_to_string(t.path().join("wchan"))
                        .is_ok_and(|w| w.starts_with("pipe_w"))
                })
        },
        Duration::from_secs(120),
    );
    // SAFETY: plain signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = exit_within(
        &mut child,
        Duration::from_secs(60),
        "SIGTERM waited for the write's 600 s deadline",
    );
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        read_json(&json)["cases"][0]["reason"]["cause"],
        "interrupted"
    );
    wait_for(
        || !command_lines().iter().any(|c| c.contains(&marker)),
        Duration::from_secs(10),
    );
}
