//! `compare` on synthetic results files: a clear regression is caught, noise
//! within the spread is not flagged, environment mismatches are refused,
//! new/missing cases listed, and the exit codes; plus the Bencher and
//! github-action-benchmark exports against golden files.

use crate::common::*;
use nvviz_bench::results::export::ExportFormat;
use serde_json::Value;

/// A real run's results (a schema version 1 file, read through the converter:
/// what `compare` itself does with it), as a version 2 document.
fn base() -> Value {
    let text = std::fs::read_to_string(fixture("results/ci-2core-bench.json")).unwrap();
    serde_json::to_value(nvviz_bench::results::Results::from_json(&text).unwrap()).unwrap()
}

fn case_mut<'a>(results: &'a mut Value, id: &str) -> &'a mut Value {
    results["cases"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["id"] == id)
        .unwrap()
}

/// Sets one case's fps statistics.
fn set_fps(results: &mut Value, id: &str, mean: f64, stddev: f64) {
    let case = results["cases"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["id"] == id)
        .unwrap();
    case["fps"]["mean"] = mean.into();
    case["fps"]["median"] = mean.into();
    case["fps"]["stddev"] = stddev.into();
}

fn write(dir: &std::path::Path, name: &str, v: &Value) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string(v).unwrap()).unwrap();
    p
}

const NATIVE: &str = "native/native/h264_nvenc/p1";

/// `compare FLAGS baseline current`, both written into `dir`.
fn compare(
    dir: &std::path::Path,
    baseline: &Value,
    current: &Value,
    flags: &[&str],
) -> std::process::Output {
    let (b, c) = (
        write(dir, "b.json", baseline),
        write(dir, "c.json", current),
    );
    nvviz()
        .arg("compare")
        .args(flags)
        .arg(&b)
        .arg(&c)
        .output()
        .unwrap()
}

#[test]
fn identical_files_pass() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.json", &base());
    let out = nvviz().args(["compare"]).arg(&a).arg(&a).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("PASS: 0 regression(s)"), "{text}");
}

#[test]
fn a_case_that_ran_in_the_baseline_and_failed_now_is_a_regression() {
    let dir = tempfile::tempdir().unwrap();
    let b = base();
    let mut c = base();
    let case = case_mut(&mut c, NATIVE);
    case["status"] = "failed".into();
    case["fps"] = Value::Null;
    case["reason"] =
        serde_json::json!({"cause": "broken_pipe", "frames_written": 3, "last_lines": []});
    let out = compare(dir.path(), &b, &c, &[]);
    assert_exit(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("FAILED NOW") && text.contains("broken_pipe"),
        "{text}"
    );
    assert!(text.contains("FAIL: 1 regression(s)"), "{text}");
    let out = compare(dir.path(), &b, &c, &["--json"]);
    assert_exit(&out, 1);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["schema"], "nvviz-bench.compare");
    let judged = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == format!("{NATIVE}@1920x1080"))
        .unwrap();
    assert_eq!(judged["verdict"], "failed");
}

#[test]
fn files_with_no_case_in_common_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let b = base();
    let mut c = base();
    // The same run at another resolution: nothing to compare.
    for case in c["cases"].as_array_mut().unwrap() {
        case["width"] = 1280.into();
        case["height"] = 720.into();
    }
    let out = compare(dir.path(), &b, &c, &[]);
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no case in common"), "{err}");
    // A baseline in which nothing ran is no baseline either.
    let mut empty = base();
    for case in empty["cases"].as_array_mut().unwrap() {
        case["status"] = "failed".into();
    }
    let out = compare(dir.path(), &empty, &b, &[]);
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no case that ran"));
}

#[test]
fn clear_regression_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = base();
    set_fps(&mut b, NATIVE, 100.0, 1.0);
    let mut c = base();
    set_fps(&mut c, NATIVE, 60.0, 1.0);
    let out = compare(dir.path(), &b, &c, &["--json"]);
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let case = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == format!("{NATIVE}@1920x1080"))
        .unwrap();
    assert_eq!(case["verdict"], "regression");
}

#[test]
fn noise_within_the_spread_is_not_a_regression() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = base();
    set_fps(&mut b, NATIVE, 100.0, 8.0);
    let mut c = base();
    set_fps(&mut c, NATIVE, 85.0, 8.0);
    let out = compare(dir.path(), &b, &c, &["--markdown"]);
    assert_eq!(out.status.code(), Some(0));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("| slower (within noise) |"), "{md}");
    assert!(md.starts_with("### nvviz-bench compare"));
}

/// A baseline whose own spread (±70 %) is wider than the threshold cannot
/// hide a 60 % drop as "within noise": the gate says it cannot judge and
/// fails, unless told otherwise (`--allow-noisy`).
#[test]
fn a_gate_that_cannot_judge_says_so_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = base();
    set_fps(&mut b, NATIVE, 100.0, 70.0);
    let mut c = base();
    set_fps(&mut c, NATIVE, 40.0, 2.0);
    let out = compare(dir.path(), &b, &c, &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("CANNOT JUDGE"), "{text}");
    assert!(text.contains("--allow-noisy"), "{text}");
    let allowed = compare(dir.path(), &b, &c, &["--allow-noisy"]);
    assert_eq!(allowed.status.code(), Some(0));
}

#[test]
fn environment_mismatch_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let b = base();
    let mut c = base();
    c["environment"]["host"]["cpu_model"] = "Some Other CPU".into();
    // An NVENC baseline against a libx264 fallback run: a different benchmark.
    let case = case_mut(&mut c, NATIVE);
    case["encoder"]["used"] = "h264_nvenc".into();
    case["encoder"]["fallback"] = Value::Null;
    let out = compare(dir.path(), &b, &c, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CPU")
            && err.contains(
                "the baseline ran libx264 (fallback from h264_nvenc), this run h264_nvenc"
            ),
        "{err}"
    );
    let out = compare(dir.path(), &b, &c, &["--allow-env-mismatch"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("environment differs"));
}

#[test]
fn missing_cases_fail_unless_allowed_and_new_ones_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let b = base();
    let mut c = base();
    let cases = c["cases"].as_array_mut().unwrap();
    cases.retain(|x| x["id"] != NATIVE);
    let mut extra = cases[0].clone();
    extra["id"] = "native/native/hevc_nvenc/p4".into();
    cases.push(extra);
    let out = compare(dir.path(), &b, &c, &[]);
    assert_exit(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "missing case (ran in the baseline, not now; fails the gate, --allow-missing to accept): {NATIVE}@1920x1080"
        )),
        "{text}"
    );
    assert!(
        text.contains("new case (not in the baseline): native/native/hevc_nvenc/p4@1920x1080"),
        "{text}"
    );
    let out = compare(dir.path(), &b, &c, &["--allow-missing"]);
    assert_exit(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("allowed by --allow-missing"));
}

#[test]
fn github_step_summary_is_appended() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.json", &base());
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier\n").unwrap();
    nvviz()
        .args(["compare"])
        .arg(&a)
        .arg(&a)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .assert()
        .success();
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("earlier\n### nvviz-bench compare"),
        "{text}"
    );
}

#[test]
fn bad_threshold_and_files_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.json", &base());
    nvviz()
        .args(["compare", "--threshold", "lots"])
        .arg(&a)
        .arg(&a)
        .assert()
        .code(2);
    nvviz()
        .args(["compare"])
        .arg(&a)
        .arg(dir.path().join("none.json"))
        .assert()
        .code(2);
}

fn export(results: &nvviz_bench::results::Results, format: ExportFormat) -> String {
    String::from_utf8(format.exporter().serialize(results).unwrap()).unwrap()
}

/// Every export format, from a real run's results, against golden files.
#[test]
fn exports_match_golden_files() {
    let results = nvviz_bench::results::Results::from_json(
        &std::fs::read_to_string(fixture("results/ci-2core-bench.json")).unwrap(),
    )
    .unwrap();
    for (name, format) in [
        ("expected-bencher.json", ExportFormat::Bencher),
        (
            "expected-github-benchmark.json",
            ExportFormat::GithubBenchmark,
        ),
        ("expected-cases.csv", ExportFormat::Csv),
        ("expected-cases.md", ExportFormat::Markdown),
    ] {
        let actual = export(&results, format);
        let path = fixture(&format!("report/{name}"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &actual).unwrap();
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), actual, "{name}");
    }
    let bencher: Value = serde_json::from_str(&export(&results, ExportFormat::Bencher)).unwrap();
    // This run fell back: its series is named for libx264, not NVENC.
    let native = &bencher["native/native/libx264 (fallback)/p1 1920x1080"]["throughput"];
    assert!(native["lower_value"].as_f64().unwrap() <= native["value"].as_f64().unwrap());
    let gh: Value = serde_json::from_str(&export(&results, ExportFormat::GithubBenchmark)).unwrap();
    assert!(gh
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["unit"] == "fps" && e["value"].is_number()));
}

/// No export names an NVENC encoder for a case whose frames a CPU encoder wrote,
/// on every real results file committed (both machines, both schema versions).
#[test]
fn no_export_files_a_cpu_encoder_under_an_nvenc_name() {
    let mut files = vec![
        fixture("results/ci-2core-bench.json"),
        fixture("results/h100-bench.json"),
        fixture("results/ci-2core-quality-h264.json"),
    ];
    files.extend(committed_results());
    let mut checked = 0;
    for path in files {
        let results =
            nvviz_bench::results::Results::from_json(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let bencher: Value =
            serde_json::from_str(&export(&results, ExportFormat::Bencher)).unwrap();
        let gh: Value =
            serde_json::from_str(&export(&results, ExportFormat::GithubBenchmark)).unwrap();
        let csv = export(&results, ExportFormat::Csv);
        for c in results.cases.iter().filter(|c| c.is_ok()) {
            if c.encoder.used_nvenc() {
                continue;
            }
            let series = nvviz_bench::results::label::series(c);
            assert!(!series.contains("_nvenc"), "{}: {series}", path.display());
            assert!(
                bencher.get(&series).is_some(),
                "{}: {series} missing",
                path.display()
            );
            assert!(gh.as_array().unwrap().iter().any(|e| e["name"] == series));
            let row = csv
                .lines()
                .find(|l| l.starts_with(&format!("{},", c.id)))
                .unwrap();
            assert!(row.contains(&series), "{row}");
            checked += 1;
        }
        for key in bencher.as_object().unwrap().keys() {
            let case = results
                .cases
                .iter()
                .find(|c| &nvviz_bench::results::label::series(c) == key)
                .unwrap();
            assert_eq!(key.contains("_nvenc"), case.encoder.used_nvenc(), "{key}");
        }
    }
    assert!(checked > 20, "only {checked} CPU-encoded cases checked");
}

/// `bench --save-baseline NAME` then `bench --baseline NAME`: the second run is compared
/// with the first (its verdict depends on this machine's noise; that it ran is checked).
#[test]
fn named_baselines_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let run = |flag: &str| {
        nvviz()
            .args([
                "bench",
                "--modes",
                "overlay-only",
                "--resolution",
                "160x120",
                "--frames",
                "5",
                "--runs",
                "2",
                "-q",
            ])
            .args([flag, "main"])
            .env("NVVIZ_BASELINE_DIR", dir.path())
            .output()
            .unwrap()
    };
    let saved = run("--save-baseline");
    assert_exit(&saved, 0);
    assert!(dir.path().join("main.json").is_file());
    let compared = run("--baseline");
    let stdout = String::from_utf8_lossy(&compared.stdout);
    assert!(stdout.contains("compared with baseline 'main'"), "{stdout}");
    assert!(
        matches!(compared.status.code(), Some(0) | Some(1)),
        "{stdout}"
    );

    let missing = nvviz()
        .args([
            "bench",
            "--modes",
            "overlay-only",
            "--resolution",
            "160x120",
            "--frames",
            "2",
            "--runs",
            "1",
            "-q",
            "--baseline",
            "nope",
        ])
        .env("NVVIZ_BASELINE_DIR", dir.path())
        .output()
        .unwrap();
    assert_exit(&missing, 2);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("save one with --save-baseline nope"));
}

/// `--metric ratio` on a real interleaved bench: every case gets its ratio to a
/// reference of the same rounds; the file passes against itself; a case whose
/// ratio fell beyond threshold and spread fails the gate while its absolute fps
/// (what a shared runner's noise moves) is left alone; a baseline without
/// ratios is refused with what to do.
#[test]
fn the_ratio_metric_gates_on_in_run_ratios() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let out = nvviz()
        .args([
            "bench",
            "--modes",
            "native,encode-only,encoder-ceiling,overlay-only",
        ])
        .args(["--resolution", "160x120", "--frames", "6", "--runs", "3"])
        .args(["--interleave", "-q", "--export-json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let mut results = read_json(&path);
    let native = case_mut(&mut results, "native/native/h264_nvenc/p1").clone();
    assert_eq!(
        native["relative"]["reference"],
        "encode-only/none/h264_nvenc/p1"
    );
    assert_eq!(native["relative"]["ratio"]["n"], 3);
    let compare = |baseline: &std::path::Path, current: &std::path::Path| {
        nvviz()
            .args(["compare", "--metric", "ratio", "--allow-env-mismatch"])
            .arg(baseline)
            .arg(current)
            .output()
            .unwrap()
    };
    let same = compare(&path, &path);
    assert_exit(&same, 0);
    let text = String::from_utf8_lossy(&same.stdout);
    assert!(text.contains("baseline ratio"), "{text}");
    assert!(
        text.contains("native/native/h264_nvenc/p1@160x120 (÷ encode-only/none/h264_nvenc/p1)"),
        "{text}"
    );

    // The same fps, but native's ratio to encode-only fell by half: a regression
    // the fps metric does not see. (Ratio statistics set outright: a test does
    // not depend on how noisy this machine's tiny runs were.)
    let set_ratio = |doc: &mut Value, mean: f64| {
        let case = case_mut(doc, "native/native/h264_nvenc/p1");
        let r = &mut case["relative"]["ratio"];
        r["mean"] = mean.into();
        r["median"] = mean.into();
        r["min"] = (mean * 0.98).into();
        r["max"] = (mean * 1.02).into();
        r["stddev"] = (mean * 0.02).into();
    };
    set_ratio(&mut results, 1.0);
    std::fs::write(&path, results.to_string()).unwrap();
    let mut slower = results.clone();
    set_ratio(&mut slower, 0.5);
    let slower_path = dir.path().join("slower.json");
    std::fs::write(&slower_path, slower.to_string()).unwrap();
    let caught = compare(&path, &slower_path);
    assert_exit(&caught, 1);
    assert!(String::from_utf8_lossy(&caught.stdout).contains("REGRESSION"));
    let by_fps = nvviz()
        .args(["compare", "--allow-env-mismatch"])
        .arg(&path)
        .arg(&slower_path)
        .output()
        .unwrap();
    assert_exit(&by_fps, 0);

    // JSON: the metric, and each case's reference.
    let json_out = nvviz()
        .args([
            "compare",
            "--metric",
            "ratio",
            "--json",
            "--allow-env-mismatch",
        ])
        .arg(&path)
        .arg(&path)
        .output()
        .unwrap();
    let doc = json(&json_out);
    assert_eq!(doc["schema_version"], 2);
    assert_eq!(doc["metric"], "ratio");
    assert!(doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["reference"].is_string() && c["baseline_mean"].is_number()));

    // A baseline measured without --interleave has no ratios: refused, saying how.
    let mut plain = results.clone();
    for c in plain["cases"].as_array_mut().unwrap() {
        c["relative"] = Value::Null;
    }
    let plain_path = dir.path().join("plain.json");
    std::fs::write(&plain_path, plain.to_string()).unwrap();
    let refused = compare(&plain_path, &path);
    assert_exit(&refused, 2);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--interleave"));
}
