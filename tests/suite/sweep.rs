//! A generated sweep: every subcommand × every option it has (read from the CLI
//! definition itself, so a new option is swept the day it is added) × boundary
//! values — 0, 1, -1, the integer limits, huge, empty, NaN, non-UTF-8, a
//! directory, a FIFO, a device, a missing path. Each run must end with exit 0,
//! 1, 2 or 130, print no panic, and leave no ffmpeg behind. Runs that would
//! legitimately go on for hours (`--frames 1000000000`) are stopped with
//! SIGTERM after a few seconds and must then exit 130 like any Ctrl-C.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use clap::{CommandFactory, Parser};

/// Fast, valid arguments per subcommand; an option under test replaces its own.
fn base(sub: &str, dir: &Path) -> Vec<(String, Option<String>)> {
    let out = dir.join("out.mp4").display().to_string();
    let results = fixture("results/ci-2core-bench.json").display().to_string();
    let pairs: &[(&str, Option<&str>)] = match sub {
        "bench" => &[
            ("--modes", Some("overlay-only")),
            ("--resolution", Some("32x32")),
            ("--frames", Some("2")),
            ("--runs", Some("1")),
            ("--warmup", Some("0")),
            ("--persons", Some("1")),
            ("--quiet", None),
        ],
        "render" => &[
            ("--mode", Some("native")),
            ("--resolution", Some("32x32")),
            ("--frames", Some("2")),
            ("--quiet", None),
        ],
        "doctor" => &[("--no-trial", None)],
        "report" => &[("--format", Some("md"))],
        _ => &[],
    };
    let mut v: Vec<(String, Option<String>)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
        .collect();
    if sub == "render" {
        v.push(("--output".into(), Some(out)));
    }
    if sub == "report" || sub == "compare" {
        v.push((String::new(), Some(results.clone())));
    }
    if sub == "compare" {
        v.push((String::new(), Some(results)));
    }
    v
}

fn values(dir: &Path) -> Vec<OsString> {
    let fifo = dir.join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    let mut v: Vec<OsString> = [
        "0",
        "1",
        "-1",
        "18446744073709551616",
        "NaN",
        "",
        "/dev/zero",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    // A path that does not exist, inside the test's own directory: a flag
    // that makes its directories (`report -o`) must not write outside it.
    v.push(dir.join("no-such-dir/x").into_os_string());
    v.push(dir.as_os_str().to_owned());
    v.push(fifo.into_os_string());
    v.push(OsString::from_vec(vec![0x66, 0xff, 0xfe, 0x6f]));
    v
}

struct Outcome {
    code: Option<i32>,
    stopped: bool,
    stderr: String,
}

fn run(args: &[OsString], dir: &Path) -> Outcome {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nvviz-bench"))
        .args(args)
        .current_dir(dir)
        .env("TMPDIR", dir)
        .env("NVVIZ_BASELINE_DIR", dir.join("baselines"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut stopped = false;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        let waited = started.elapsed();
        if waited > Duration::from_secs(6) && !stopped {
            // SAFETY: plain signal to our own child.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            stopped = true;
        }
        assert!(
            waited < Duration::from_secs(60),
            "{args:?}: ignored SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).ok();
    Outcome {
        code: status.code(),
        stopped,
        stderr,
    }
}

#[test]
fn every_option_of_every_subcommand_with_boundary_values() {
    let root = tempfile::tempdir().unwrap();
    let mut cli = nvviz_bench::cli::Cli::command();
    cli.build();
    // Every (subcommand, option, value) to try.
    let mut plan: Vec<(String, String, Option<usize>)> = Vec::new();
    let n_values = values(root.path()).len();
    for sub in cli.get_subcommands() {
        for arg in sub.get_arguments() {
            let Some(long) = arg.get_long().map(|l| format!("--{l}")) else {
                continue;
            };
            if ["--help", "--version", "--verbose"].contains(&long.as_str()) {
                continue;
            }
            if arg.get_num_args().is_some_and(|n| n.takes_values()) {
                plan.extend(
                    (0..n_values).map(|i| (sub.get_name().to_string(), long.clone(), Some(i))),
                );
            } else {
                plan.push((sub.get_name().to_string(), long, None));
            }
        }
    }
    // Four workers, each in its own directory (its own TMPDIR, outputs,
    // FIFO): a run spends much of its time waiting on its ffmpeg children,
    // so two cores keep four busy. A run slowed past its stop is stopped
    // with SIGTERM and must exit 130, which is judged like any other end.
    let workers = 4;
    let tallies: Vec<[usize; 6]> = std::thread::scope(|scope| {
        (0..workers)
            .map(|w| {
                let plan = &plan;
                let dir = root.path().join(format!("w{w}"));
                std::fs::create_dir(&dir).unwrap();
                scope.spawn(move || {
                    let values = values(&dir);
                    let mut tally = [0usize; 6];
                    for (name, long, value) in plan.iter().skip(w).step_by(workers) {
                        let mut args: Vec<OsString> = vec![name.clone().into()];
                        for (k, v) in base(name, &dir) {
                            if &k == long {
                                continue;
                            }
                            if !k.is_empty() {
                                args.push(k.into());
                            }
                            if let Some(v) = v {
                                args.push(v.into());
                            }
                        }
                        args.push(long.clone().into());
                        if let Some(i) = value {
                            args.push(values[*i].clone());
                        }
                        let what = format!("{args:?}");
                        // What the argument parser refuses is refused before
                        // main does anything else (no file, no child, no
                        // signal handler): judged here in process, the same
                        // clap definition, without a process start (0.2 s of
                        // loading OpenCV's libraries each, most of CI's time).
                        if let Err(e) = nvviz_bench::cli::Cli::try_parse_from(
                            std::iter::once(OsString::from("nvviz-bench")).chain(args.clone()),
                        ) {
                            assert_eq!(e.exit_code(), 2, "{what}: {e}");
                            assert!(e.to_string().starts_with("error: "), "{what}: {e}");
                            tally[5] += 1;
                            continue;
                        }
                        let out = run(&args, &dir);
                        assert!(
                            !out.stderr.contains("panicked")
                                && !out.stderr.contains("internal error"),
                            "{what}: {}",
                            out.stderr
                        );
                        match (out.code, out.stopped) {
                            (Some(130), true) => tally[4] += 1,
                            // A slow machine's run may end on its own just as
                            // the stop arrives: its own status, judged alike.
                            (Some(c @ 0..=2), _) => tally[c as usize] += 1,
                            (Some(130), false) => tally[3] += 1,
                            (code, _) => panic!("{what}: exit {code:?}\n{}", out.stderr),
                        }
                        if out.code == Some(2) {
                            assert!(
                                out.stderr.lines().any(|l| l.starts_with("error: ")),
                                "{what}: exit 2 without an error line\n{}",
                                out.stderr
                            );
                        }
                        wait_for_no_ffmpeg(&dir.display().to_string(), &what);
                    }
                    tally
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect()
    });
    let t: [usize; 6] = std::array::from_fn(|i| tallies.iter().map(|x| x[i]).sum());
    let tried: usize = t.iter().sum();
    eprintln!(
        "sweep: {tried} command lines; {} refused by the parser (exit 2, in process); run: exit 0: {}, 1: {}, 2: {}, 130: {} (+{} long runs stopped by SIGTERM, exit 130); 0 panics, 0 ffmpeg left",
        t[5], t[0], t[1], t[2], t[3], t[4]
    );
    // The parser's refusals must not swallow the sweep: most lines still run.
    assert!(
        t[0] + t[1] + t[2] > 150,
        "only {} lines ran",
        t[0] + t[1] + t[2]
    );
    assert_eq!(tried, plan.len());
    assert!(tried > 300, "the sweep shrank to {tried} runs");
}

fn wait_for_no_ffmpeg(needle: &str, what: &str) {
    let started = Instant::now();
    while command_lines()
        .iter()
        .any(|c| c.contains("ffmpeg") && c.contains(needle))
    {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{what}: an ffmpeg outlived the run"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Pairs, not options alone: frame size × pipe pixel format × every mode (one
/// bench of all modes per pair). An odd size in a 4:2:0 format is refused
/// before anything runs (exit 2, one line naming the format), in every mode
/// alike; every other pair runs every mode to a result — a case that fails
/// says why, and never stops the cases after it.
#[test]
fn sizes_by_pixel_formats_by_every_mode() {
    let root = tempfile::tempdir().unwrap();
    let refused: Vec<(&str, &str)> = ["17x17", "33x32", "32x33"]
        .iter()
        .flat_map(|s| ["yuv420p", "nv12"].map(|f| (*s, f)))
        .collect();
    let ran = [
        ("17x17", "bgr24"),
        ("33x32", "bgra"),
        ("32x33", "bgr0"),
        ("16x16", "yuv420p"),
        ("32x32", "nv12"),
    ];
    let bench = |size: &str, fmt: &str| {
        let json = root.path().join(format!("{size}-{fmt}.json"));
        let out = nvviz()
            .current_dir(root.path())
            .env("TMPDIR", root.path())
            .args(["bench", "--resolution", size, "--pix-fmts", fmt])
            .args(["--frames", "2", "--runs", "1", "--warmup", "0", "-q"])
            .arg("--export-json")
            .arg(&json)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            !stderr.contains("panicked") && !stderr.contains("internal error"),
            "{size} {fmt}: {stderr}"
        );
        (out.status.code(), stderr, json)
    };
    std::thread::scope(|scope| {
        let refusals = scope.spawn(|| {
            for (size, fmt) in &refused {
                let (code, stderr, json) = bench(size, fmt);
                assert_eq!(code, Some(2), "{size} {fmt}: {stderr}");
                let line = stderr.lines().find(|l| l.starts_with("error: ")).unwrap();
                assert!(line.contains(fmt) && line.contains(size), "{line}");
                assert!(
                    !json.exists(),
                    "{size} {fmt}: nothing measured, nothing written"
                );
            }
        });
        let mut modes = 0;
        for (size, fmt) in ran {
            let (code, stderr, json) = bench(size, fmt);
            assert!(
                matches!(code, Some(0 | 1)),
                "{size} {fmt}: {code:?} {stderr}"
            );
            let results = read_json(&json);
            let cases = results["cases"].as_array().unwrap();
            modes = modes.max(cases.len());
            assert!(cases.len() >= 10, "{size} {fmt}: {} cases", cases.len());
            for c in cases {
                match c["status"].as_str().unwrap() {
                    "ok" | "skipped" => {}
                    // The OpenCV writers crop odd sizes: caught, named.
                    "failed" => assert_eq!(
                        c["reason"]["cause"], "verification_failed",
                        "{size} {fmt}: {c:#}"
                    ),
                    s => panic!("{size} {fmt}: status {s}"),
                }
            }
        }
        refusals.join().unwrap();
        assert!(modes >= 10);
    });
}
