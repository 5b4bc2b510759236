//! A user's command as a case (`bench --command`), through the real binary:
//! fed on stdin or from a file, timed by its progress lines or as a whole
//! process, its output verified and what wrote it named; a command that lies,
//! fails, hangs, writes nothing or leaves children behind fails alone with a
//! one-line cause, and the other cases keep their results; `compare --metric
//! ratio` gates it.

use std::path::Path;

use crate::common::*;
use serde_json::Value;

fn writer() -> String {
    fixture("commands/writer.py").display().to_string()
}

/// A short interleaved bench of the encoder ceiling and these commands.
fn bench(
    dir: &Path,
    name: &str,
    commands: &[String],
    extra: &[&str],
) -> (std::process::Output, Value) {
    let json = dir.join(format!("{name}.json"));
    let mut cmd = nvviz();
    cmd.current_dir(dir)
        .env("TMPDIR", dir)
        .args([
            "bench",
            "--resolution",
            "64x48",
            "--frames",
            "24",
            "--warmup",
            "2",
        ])
        .args(["--interleave", "--modes", "encoder-ceiling", "-q"])
        .args(["--codecs", "libx264"])
        .args(extra)
        .arg("--export-json")
        .arg(&json);
    for (flag, default) in [("--runs", "2"), ("--command-timeout", "20")] {
        if !extra.contains(&flag) {
            cmd.args([flag, default]);
        }
    }
    for c in commands {
        cmd.arg("--command").arg(c);
    }
    let out = cmd.output().unwrap();
    let results = if json.exists() {
        read_json(&json)
    } else {
        Value::Null
    };
    (out, results)
}

fn case<'a>(results: &'a Value, name: &str) -> &'a Value {
    results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == format!("command/{name}"))
        .unwrap_or_else(|| panic!("no command/{name} in {results:#}"))
}

fn findings(c: &Value) -> Vec<String> {
    c["user_command"]["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|f| f["finding"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The writer fixture's needs; a machine without them says so and skips.
fn have_ffmpeg_and_python() -> bool {
    let ok = real_ffmpeg().is_some() && have("python3");
    if !ok {
        eprintln!("skipped: needs ffmpeg and python3");
    }
    ok
}

#[test]
fn commands_fed_on_stdin_or_from_a_file_are_timed_verified_and_named() {
    if !have_ffmpeg_and_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let w = writer();
    let (out, r) = bench(
        dir.path(),
        "ok",
        &[
            format!("stdin=python3 {w} {{width}} {{height}} {{frames}} {{output}}"),
            format!("file=python3 {w} {{width}} {{height}} {{frames}} {{output}} --input {{input}} --every 5"),
            "silent=ffmpeg -y -v error -f rawvideo -pix_fmt bgr24 -s {width}x{height} -r {fps} -i - {output}".into(),
        ],
        &[],
    );
    assert_exit(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for name in ["stdin", "file", "silent"] {
        let c = case(&r, name);
        assert_eq!(c["status"], "ok", "{c:#}");
        assert_eq!(c["mode"], "command");
        assert_eq!(c["sink"], "command");
        // 2 warm-up + 24 timed frames went in, and came out.
        assert_eq!(c["verified"]["frames"], 26, "{c:#}");
        assert!(c["fps"]["mean"].as_f64().unwrap() > 0.0);
        let run = &c["runs"][0]["command"];
        assert!(run["user_s"].as_f64().unwrap() > 0.0, "{run}");
        assert!(run["peak_rss_mib"].as_f64().unwrap() > 1.0, "{run}");
        // Gated like any case: a ratio to the ceiling of the same rounds.
        assert_eq!(
            c["relative"]["reference"], "encoder-ceiling/none/libx264/p1",
            "{c:#}"
        );
        assert!(stdout.contains(&format!("command {name}")), "{stdout}");
    }
    assert_eq!(case(&r, "stdin")["user_command"]["input"], "stdin");
    assert_eq!(case(&r, "file")["user_command"]["input"], "file");
    // Progress lines: steady state; none: the whole process, and said so.
    assert_eq!(case(&r, "stdin")["user_command"]["timing"], "progress");
    assert_eq!(
        case(&r, "file")["runs"][0]["command"]["reported_frames"],
        26
    );
    let silent = case(&r, "silent");
    assert_eq!(silent["user_command"]["timing"], "whole_process");
    assert!(findings(silent).contains(&"startup_included".to_string()));
    // What wrote each stream, as the stream says.
    assert_eq!(case(&r, "stdin")["encoder"]["used"], "libx264");
    assert_eq!(silent["verified"]["written_by"], "libx264");
    // The guide's causes: a bgr24 pipe, 4:4:4 output (libx264 keeps bgr24's chroma).
    assert_eq!(silent["verified"]["pix_fmt"], "yuv444p");
    let f = findings(silent);
    assert!(
        f.contains(&"bgr24_pipe".into()) && f.contains(&"full_chroma".into()),
        "{f:?}"
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("command silent: "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        line.contains("whole process") && line.contains("written by libx264 (h264, yuv444p"),
        "{line}"
    );
}

#[test]
fn a_command_that_lies_is_caught() {
    if !have_ffmpeg_and_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let w = writer();
    let (out, r) = bench(
        dir.path(),
        "lies",
        &[
            // Reports every frame, writes half.
            format!("claims=python3 {w} {{width}} {{height}} {{frames}} {{output}} --lie"),
            // Named for NVENC, writes mpeg4.
            format!(
                "my_nvenc=python3 {w} {{width}} {{height}} {{frames}} {{output}} --codec mpeg4"
            ),
        ],
        &[],
    );
    assert_exit(&out, 1);
    let claims = case(&r, "claims");
    assert_eq!(claims["status"], "failed");
    assert_eq!(claims["reason"]["cause"], "verification_failed");
    assert!(
        claims["reason"]["message"]
            .as_str()
            .unwrap()
            .contains("decodes to 13"),
        "{claims:#}"
    );
    let f = &claims["user_command"]["findings"][0];
    assert_eq!(f["finding"], "claimed_frames");
    assert_eq!(
        (f["reported"].as_u64(), f["decoded"].as_u64()),
        (Some(26), Some(13))
    );
    let nvenc = case(&r, "my_nvenc");
    assert_eq!(nvenc["status"], "ok", "a working writer is not a failure");
    assert_eq!(nvenc["encoder"]["used"], "mpeg4");
    assert_eq!(
        nvenc["user_command"]["findings"][0]["finding"],
        "nvenc_not_used"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("NVENC not used"), "{stdout}");
    // The ceiling ran and kept its result.
    assert_eq!(r["cases"][0]["status"], "ok");
}

#[test]
fn a_command_that_fails_fails_alone_and_leaves_nothing_running() {
    if real_ffmpeg().is_none() {
        eprintln!("skipped: needs ffmpeg");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("nvviz-orphan-{}", std::process::id());
    let copy = "ffmpeg -y -v error -i {input} -c:v mpeg4";
    let (out, r) = bench(
        dir.path(),
        "fails",
        &[
            "exits=echo bad input >&2; exit 3; echo {output}".to_string(),
            format!("hangs=sh -c 'sleep 600; :' {marker}; echo {{output}}"),
            "nothing=true {output}".into(),
            format!("short={copy} -frames:v 5 {{output}}"),
            format!("orphan=(sh -c 'sleep 600; :' {marker} &); {copy} {{output}}"),
            "killed=kill -9 $$ ; echo {output}".into(),
        ],
        &["--command-timeout", "3", "--runs", "1"],
    );
    assert_exit(&out, 1);
    let cause = |name: &str| {
        let c = case(&r, name);
        assert_eq!(c["status"], "failed", "{c:#}");
        (
            c["reason"]["cause"].as_str().unwrap().to_string(),
            c["reason"]["message"].as_str().unwrap().to_string(),
        )
    };
    let (c, m) = cause("exits");
    assert_eq!(
        (c.as_str(), m.as_str()),
        ("command_failed", "exited with status 3: bad input")
    );
    let (c, m) = cause("hangs");
    assert_eq!(c, "command_failed");
    assert!(m.starts_with("did not finish within 3 s"), "{m}");
    let (c, m) = cause("nothing");
    assert_eq!(c, "verification_failed");
    assert!(m.starts_with("output missing"), "{m}");
    let (c, m) = cause("short");
    assert_eq!(c, "verification_failed");
    assert!(m.contains("decodes to 5"), "{m}");
    let (c, m) = cause("orphan");
    assert_eq!(c, "command_failed");
    assert!(
        m.starts_with("left ") && m.contains("running after it exited"),
        "{m}"
    );
    let (c, m) = cause("killed");
    assert_eq!(c, "command_failed");
    assert!(m.starts_with("was killed by signal 9"), "{m}");
    // Every failure is a line with its fix; the ceiling kept its result.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("failed: command/").count(), 6, "{stdout}");
    assert_eq!(r["cases"][0]["status"], "ok");
    // Nothing of theirs outlived the bench.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let alive: Vec<String> = command_lines()
        .into_iter()
        .filter(|c| c.contains(&marker))
        .collect();
    assert!(alive.is_empty(), "{alive:?}");
    // No partial output was left under a final name or beside it.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".mp4"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn bad_command_arguments_are_one_line_errors() {
    for (arg, needle) in [
        ("no-equals-sign", "NAME=COMMAND"),
        ("a b=x {output}", "use letters"),
        ("x=", "is empty"),
        ("x=w {outptu} {output}", "unknown placeholder {outptu}"),
        ("x=cat {input}", "names no {output}"),
    ] {
        let out = nvviz().args(["bench", "--command", arg]).output().unwrap();
        assert_exit(&out, 2);
        // clap's own refusal: its error line first, then where to read more.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error: ") && first.contains(needle),
            "{stderr}"
        );
    }
}

/// The gate on a team's own writer: its ratio to the encoder ceiling of the
/// same rounds passes against itself and fails once the writer is slowed.
#[test]
fn compare_ratio_gates_a_command() {
    if !have_ffmpeg_and_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let w = writer();
    let mine = |slow: &str| {
        vec![format!(
            "mine=python3 {w} {{width}} {{height}} {{frames}} {{output}} --slow {slow}"
        )]
    };
    let runs = ["--runs", "3"];
    let (a, _) = bench(dir.path(), "base", &mine("0"), &runs);
    assert_exit(&a, 0);
    let (b, _) = bench(dir.path(), "same", &mine("0"), &runs);
    assert_exit(&b, 0);
    // 40 ms a frame: a writer several times slower than the ceiling allows.
    let (c, _) = bench(dir.path(), "slow", &mine("0.04"), &runs);
    assert_exit(&c, 0);
    let gate = |current: &str| {
        nvviz()
            .current_dir(dir.path())
            .args(["compare", "base.json", current, "--metric", "ratio"])
            .args(["--threshold", "50", "--allow-noisy"])
            .output()
            .unwrap()
    };
    let same = gate("same.json");
    assert_exit(&same, 0);
    let slow = gate("slow.json");
    assert_exit(&slow, 1);
    let text = String::from_utf8_lossy(&slow.stdout);
    assert!(text.contains("command/mine"), "{text}");
}
