//! `compare` on synthetic results files: a clear regression is caught, noise
//! within the spread is not flagged, environment mismatches are refused,
//! new/missing cases listed, and the exit codes; plus the Bencher and
//! github-action-benchmark exports against golden files.

mod common;

use common::*;
use serde_json::Value;

fn base() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("results/ci-2core-bench.json")).unwrap())
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
    assert!(text.contains("0 regression(s)"), "{text}");
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
    set_fps(&mut b, NATIVE, 100.0, 12.0);
    let mut c = base();
    set_fps(&mut c, NATIVE, 85.0, 10.0);
    let out = compare(dir.path(), &b, &c, &["--markdown"]);
    assert_eq!(out.status.code(), Some(0));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("| slower (within noise) |"), "{md}");
    assert!(md.starts_with("### nvviz-bench compare"));
}

#[test]
fn environment_mismatch_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let b = base();
    let mut c = base();
    c["environment"]["host"]["cpu_model"] = "Some Other CPU".into();
    // An NVENC baseline against a libx264 fallback run: a different benchmark.
    let case = c["cases"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|x| x["id"] == NATIVE)
        .unwrap();
    case["encoder"] = "h264_nvenc".into();
    let out = compare(dir.path(), &b, &c, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CPU") && err.contains("the baseline ran libx264, this run h264_nvenc"),
        "{err}"
    );
    let out = compare(dir.path(), &b, &c, &["--allow-env-mismatch"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("environment differs"));
}

#[test]
fn new_and_missing_cases_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let b = base();
    let mut c = base();
    let cases = c["cases"].as_array_mut().unwrap();
    cases.retain(|x| x["id"] != NATIVE);
    let mut extra = cases[0].clone();
    extra["id"] = "native/native/hevc_nvenc/p4".into();
    cases.push(extra);
    let out = compare(dir.path(), &b, &c, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "missing case (in the baseline, not measured now): {NATIVE}@1920x1080"
        )),
        "{text}"
    );
    assert!(
        text.contains("new case (not in the baseline): native/native/hevc_nvenc/p4@1920x1080"),
        "{text}"
    );
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

/// Bencher Metric Format and github-action-benchmark JSON, from a real run's results.
#[test]
fn service_exports_match_golden_files() {
    let results: nvviz_bench::results::Results = serde_json::from_str(
        &std::fs::read_to_string(fixture("results/ci-2core-bench.json")).unwrap(),
    )
    .unwrap();
    for (name, value) in [
        (
            "expected-bencher.json",
            nvviz_bench::results::formats::bencher(&results),
        ),
        (
            "expected-github-benchmark.json",
            nvviz_bench::results::formats::github_benchmark(&results),
        ),
    ] {
        let actual = serde_json::to_string_pretty(&value).unwrap() + "\n";
        let path = fixture(&format!("report/{name}"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &actual).unwrap();
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), actual, "{name}");
    }
    let bencher = nvviz_bench::results::formats::bencher(&results);
    let native = &bencher["native/native/h264_nvenc/p1 1920x1080"]["throughput"];
    assert!(native["lower_value"].as_f64().unwrap() <= native["value"].as_f64().unwrap());
    let gh = nvviz_bench::results::formats::github_benchmark(&results);
    assert!(gh
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["unit"] == "fps" && e["value"].is_number()));
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
