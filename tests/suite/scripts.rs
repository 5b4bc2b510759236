//! The lab's analysis scripts (`lab/scripts/*.py`) run on what this build
//! writes: a script that still reads an older results schema fails here, not on
//! a lent machine after its device time is spent. Their figures and verdicts
//! are checked against the results file itself.

use crate::common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn python(script: &str) -> Command {
    let mut cmd = Command::new("python3");
    cmd.arg(repo().join("lab/scripts").join(script));
    cmd
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One interleaved bench of the cases the scripts read, as lab/scripts/perf-run.sh
/// and lab/scripts/ceiling-study.sh run it, on a small clip.
fn engine_bench(path: &Path) -> Value {
    let out = nvviz()
        .args([
            "bench",
            "--modes",
            "nvenc,native,encode-only,encoder-ceiling",
        ])
        .args(["--pix-fmts", "bgr24,yuv420p", "--codecs", "h264"])
        .args(["--resolution", "160x120", "--frames", "6", "--runs", "3"])
        .args(["--interleave", "-q", "--export-json"])
        .arg(path)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    read_json(path)
}

fn case<'a>(results: &'a Value, mode: &str, pix_fmt: &str) -> &'a Value {
    results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["mode"] == mode && c["pix_fmt"] == pix_fmt)
        .unwrap_or_else(|| panic!("no {mode} {pix_fmt} case"))
}

/// Per-round fps ratios of two interleaved cases.
fn round_ratios(a: &Value, b: &Value) -> Vec<f64> {
    let fps = |c: &Value| -> Vec<f64> {
        c["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["fps"].as_f64().unwrap())
            .collect()
    };
    fps(a).iter().zip(fps(b)).map(|(x, y)| x / y).collect()
}

/// The project's rule (lab/scripts/spread.py), restated: met only when every round clears it.
fn verdict(ratios: &[f64], goal: f64) -> &'static str {
    if ratios.iter().all(|r| *r >= goal) {
        "**met** (every round)"
    } else if ratios.iter().all(|r| *r < goal) {
        "not met (no round)"
    } else {
        "not resolved"
    }
}

fn row<'a>(table: &'a str, prefix: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no row '{prefix}' in\n{table}"))
}

#[test]
fn perf_targets_reads_this_builds_results_and_judges_by_every_round() {
    let dir = tempfile::tempdir().unwrap();
    let results = engine_bench(&dir.path().join("engine-pipelined.json"));
    let table = stdout(&run_ok(python("perf-targets.py").arg(dir.path())));
    for (pix, label) in [("bgr24", "bgr24"), ("yuv420p", "yuv420p")] {
        let (nvenc, encode) = (
            case(&results, "nvenc", pix),
            case(&results, "encode-only", pix),
        );
        let line = row(
            &table,
            &format!("| 1. nvenc mode / encode-only (pipelined, {label}"),
        );
        let mean = nvenc["fps"]["mean"].as_f64().unwrap() / encode["fps"]["mean"].as_f64().unwrap();
        assert!(
            line.contains(&format!("| {mean:.2} (rounds ")),
            "{mean:.2}: {line}"
        );
        assert!(
            line.contains(verdict(&round_ratios(nvenc, encode), 0.95)),
            "{line}"
        );
        // The encoder as the file names it: the fallback and its cause, typed.
        let fallback = &encode["encoder"]["fallback"];
        if !fallback.is_null() {
            let cause = fallback["cause"]["cause"].as_str().unwrap();
            assert!(
                line.contains(&format!("(fallback from h264_nvenc: {cause})")),
                "{line}"
            );
        }
    }
}

#[test]
fn ceiling_ratios_pairs_rounds_and_judges_target_2_by_every_round() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("default.json");
    let results = engine_bench(&path);
    let summary = stdout(&run_ok(python("ceiling-ratios.py").arg(&path)));
    for pix in ["bgr24", "yuv420p"] {
        let nvenc = case(&results, "nvenc", pix);
        let ratios = round_ratios(nvenc, case(&results, "encoder-ceiling", pix));
        let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
        let line = row(&summary, &format!("| {pix} | nvenc ("));
        assert!(
            line.contains(&format!("| {mean:.3} ± ")),
            "{mean:.3}: {line}"
        );
        assert!(line.contains(verdict(&ratios, 0.95)), "{line}");
    }
    // Not interleaved: no rounds to pair, refused with what to do.
    let mut single = results.clone();
    single["config"]["interleave"] = Value::Bool(false);
    let flat = dir.path().join("flat.json");
    std::fs::write(&flat, single.to_string()).unwrap();
    let refused = python("ceiling-ratios.py").arg(&flat).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--interleave"));
}

/// The rule itself on rounds made to straddle, clear and miss a goal: a mean
/// past the goal with one round short is not "met".
#[test]
fn the_spread_rule_needs_every_round() {
    let check = |call: &str, expected: &str| {
        let out = run_ok(
            Command::new("python3")
                .current_dir(repo().join("lab/scripts"))
                .args(["-c", &format!("import spread; print(spread.{call})")]),
        );
        assert_eq!(stdout(&out).trim(), expected, "{call}");
    };
    check(
        "at_least([0.94, 1.10, 1.08], 0.95)",
        "not resolved (2 of 3 rounds clear it)",
    );
    check("at_least([0.951, 0.97], 0.95)", "**met** (every round)");
    check("at_least([0.90, 0.949], 0.95)", "not met (no round)");
    check(
        "at_most([0.9, 1.2], 1.0)",
        "not resolved (1 of 2 rounds clear it)",
    );
    check("at_most([0.9, 0.99], 1.0)", "**met** (every round)");
    check("at_least([], 0.95)", "not measured");
}

/// lab/scripts/nvdec-preload-summary.py on this build's own renders (named as
/// lent-nvdec-preload.sh names them): each round's ratio from the files, the
/// decoder that really ran (here the CPU, after `--decoder nvdec`'s fallback)
/// and a verdict that says it is not NVDEC's.
#[test]
fn nvdec_preload_summary_reads_this_builds_renders_and_names_the_decoder_that_ran() {
    let dir = tempfile::tempdir().unwrap();
    let clip = lavfi_video(dir.path(), "clip.mp4", "320x240", 12);
    let runs = dir.path().join("runs");
    std::fs::create_dir(&runs).unwrap();
    let mut fps = Vec::new();
    for source in ["nvdec", "preload"] {
        let json = runs.join(format!("render10-{source}-r1.json"));
        let source_args = match source {
            "nvdec" => ["--decoder", "nvdec"].as_slice(),
            _ => ["--preload"].as_slice(),
        };
        let mut render = nvviz();
        render
            .args(["render", "--mode", "native", "--frames", "10"])
            .args(source_args)
            .arg("--video")
            .arg(&clip)
            .arg("-o")
            .arg(dir.path().join("o.mp4"));
        assert_exit(&render.arg("--export-json").arg(&json).output().unwrap(), 0);
        fps.push(
            read_json(&json)["cases"][0]["runs"][0]["fps"]
                .as_f64()
                .unwrap(),
        );
    }
    let summary = stdout(&run_ok(python("nvdec-preload-summary.py").arg(&runs)));
    let line = row(&summary, "  round 1: ");
    assert!(line.contains("--decoder nvdec (ffmpeg ran)"), "{line}");
    // Flagged or not: the tests beside this one load the machine.
    let ratio = format!("fps: {:.3}", fps[0] / fps[1]);
    assert!(
        line.ends_with(&ratio) || line.contains(&format!("{ratio} (flagged: ")),
        "{line}"
    );
    assert!(
        summary.contains("not NVDEC's verdict: ffmpeg decoded in its place"),
        "{summary}"
    );
    assert!(summary.contains("render10-preload-r1.json"), "{summary}");
    disturbed_rounds_are_named_and_judged_apart(&runs, fps[0] / fps[1]);
}

/// The first round's renders made quiet (the tests beside them load this
/// machine), and a second round made of them, its NVDEC render given the
/// hypervisor's steal the tool flags: the summary names why, judges the quiet
/// rounds apart from every round, and `--disturbed` tells the lent script
/// which round to run again.
fn disturbed_rounds_are_named_and_judged_apart(runs: &Path, ratio: f64) {
    let disturbed = |round: &str| {
        python("nvdec-preload-summary.py")
            .arg("--disturbed")
            .arg(runs)
            .arg(round)
            .status()
            .unwrap()
            .code()
    };
    for source in ["nvdec", "preload"] {
        let r1 = runs.join(format!("render10-{source}-r1.json"));
        let mut results = read_json(&r1);
        let run = &mut results["cases"][0]["runs"][0];
        run["others_cores"] = 0.0.into();
        run["steal_cores"] = 0.0.into();
        std::fs::write(&r1, results.to_string()).unwrap();
        results["cases"][0]["runs"][0]["steal_cores"] =
            (if source == "nvdec" { 1.5 } else { 0.0 }).into();
        let r2 = runs.join(format!("render10-{source}-r2.json"));
        std::fs::write(r2, results.to_string()).unwrap();
    }
    assert_eq!(disturbed("1"), Some(1));
    assert_eq!(disturbed("2"), Some(0));
    let summary = stdout(&run_ok(python("nvdec-preload-summary.py").arg(runs)));
    assert!(
        row(&summary, "  round 2: ").ends_with(&format!(
            ": {ratio:.3} (flagged: nvdec render stolen 1.50 cores)"
        )),
        "{summary}"
    );
    assert!(
        row(&summary, "  nvdec / preload, the 1 quiet rounds: ")
            .contains(&format!("({ratio:.3}–{ratio:.3};")),
        "{summary}"
    );
    row(&summary, "  nvdec / preload, every round: ");
}

/// The lab's line between quiet and disturbed runs is the tool's own.
#[test]
fn the_lab_flags_runs_where_the_tool_does() {
    let out = run_ok(
        Command::new("python3")
            .args(["-c", "import spread; print(spread.BUSY_CORES)"])
            .current_dir(repo().join("lab/scripts")),
    );
    assert_eq!(
        stdout(&out).trim().parse::<f64>().unwrap(),
        nvviz_bench::results::BUSY_CORES
    );
}

/// The committed NVDEC-against-pre-decoded summaries (issue 31's verdict)
/// are what the script makes of the committed renders, byte for byte.
#[test]
fn the_committed_nvdec_preload_summaries_regenerate() {
    let runs = repo().join("lab/perf/h100-nvdec-warm");
    let mut checked = 0;
    for entry in std::fs::read_dir(&runs).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(committed) = std::fs::read_to_string(dir.join("summary.txt")) else {
            continue;
        };
        let made = stdout(&run_ok(python("nvdec-preload-summary.py").arg(&dir)));
        assert_eq!(made, committed, "{}", dir.display());
        checked += 1;
    }
    assert!(checked >= 2, "no summaries under {}", runs.display());
}
