//! Regression logic for `compare`: matching cases across two results files and
//! judging each against a threshold *and* the measured run-to-run spread, so a
//! noisy shared runner does not cry wolf. Statistics only; no I/O.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

pub mod baseline;
pub mod render;

use crate::results::stats::Summary;
use crate::results::{label, CaseResult, CaseStatus, Results};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Faster,
    Same,
    /// Slower by more than the threshold, but within the measured spread: not flagged.
    Slower,
    Regression,
    /// Slower beyond the threshold, but a spread (the baseline's or this
    /// run's) is itself wider than the threshold: the gate cannot tell a
    /// regression from noise, and says so. Fails unless `--allow-noisy`.
    CannotJudge,
    /// Ran in the baseline, failed now: a regression whatever the numbers.
    Failed,
}

impl Verdict {
    /// Verdicts that fail the gate (a case it cannot judge, unless allowed).
    pub fn fails(self, allow_noisy: bool) -> bool {
        matches!(self, Self::Regression | Self::Failed)
            || (self == Self::CannotJudge && !allow_noisy)
    }
}

/// What the gate judges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Absolute frames per second: right where both files come from one quiet machine
    #[default]
    Fps,
    /// Each case's fps over a reference case of the same rounds (`bench --interleave`):
    /// cancels most of a shared runner's hour-to-hour and machine-to-machine speed changes
    Ratio,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Self::Fps => "fps",
            Self::Ratio => "ratio",
        }
    }

    /// The value judged for `c`, with the reference it is relative to.
    pub fn value(self, c: &CaseResult) -> Option<(Summary, Option<&str>)> {
        match self {
            Self::Fps => c.fps.map(|f| (f, None)),
            Self::Ratio => c
                .relative
                .as_ref()
                .map(|r| (r.ratio, Some(r.reference.as_str()))),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseComparison {
    pub key: String,
    /// The ratio's reference case (`--metric ratio`).
    pub reference: Option<String>,
    /// The baseline's value of the metric (fps, or the in-run ratio), mean and stddev over runs.
    pub baseline_mean: f64,
    pub baseline_stddev: f64,
    /// None when the case failed now.
    pub current_mean: Option<f64>,
    pub current_stddev: Option<f64>,
    /// current / baseline.
    pub ratio: Option<f64>,
    pub verdict: Verdict,
    /// The encoder that ran now (after any fallback), and why it failed if it did.
    pub encoder: String,
    pub cause: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub schema: &'static str,
    pub schema_version: u32,
    pub metric: Metric,
    pub threshold: f64,
    /// Baseline cases left out of the gate (`--exclude`).
    pub excluded: Vec<String>,
    pub cases: Vec<CaseComparison>,
    /// In the current file only.
    pub new_cases: Vec<String>,
    /// Ran in the baseline, absent from the current file (or skipped there).
    pub missing_cases: Vec<String>,
    /// Missing cases do not fail the gate (`--allow-missing`).
    pub allow_missing: bool,
    /// Cases the gate cannot judge do not fail it (`--allow-noisy`).
    #[serde(default)]
    pub allow_noisy: bool,
    pub environment_mismatches: Vec<String>,
}

pub const COMPARE_SCHEMA: &str = "nvviz-bench.compare";
/// 2: `metric`, and each case's `baseline_mean`/`current_mean` (were `*_fps`).
pub const COMPARE_SCHEMA_VERSION: u32 = 2;

impl Comparison {
    /// Cases slower beyond threshold and spread, or failed now.
    pub fn regressions(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.verdict.fails(self.allow_noisy))
            .count()
    }

    /// The gate's answer: regressions, or missing cases unless allowed.
    pub fn passes(&self) -> bool {
        self.regressions() == 0 && (self.allow_missing || self.missing_cases.is_empty())
    }
}

/// Why two files cannot be compared at all.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("the baseline has no case that ran (nothing to compare against): regenerate it")]
    EmptyBaseline,
    #[error("the baseline has no in-run ratios: regenerate it with `bench --interleave` (ratios need every case's runs in the same rounds)")]
    NoRatios,
    #[error("the two files have no case in common (baseline: {baseline}; current: {current}): a changed resolution, mode or encoder list makes another benchmark — regenerate the baseline")]
    NothingInCommon { baseline: String, current: String },
    #[error("the environments differ ({0}): that is another benchmark, not a regression; pass --allow-env-mismatch to compare anyway")]
    Environments(String),
}

/// Cases are matched on id (mode/overlay/requested encoder/preset…) and resolution.
pub fn key(c: &CaseResult) -> String {
    format!("{}@{}x{}", c.id, c.width, c.height)
}

/// Judges one case. `threshold` is relative (0.10 = 10 %).
pub fn judge(baseline: &Summary, current: &Summary, threshold: f64) -> Verdict {
    let ratio = current.mean / baseline.mean;
    // The two runs' spreads: intervals of mean ± stddev that overlap mean "could be noise".
    let separated_down = current.mean + current.stddev < baseline.mean - baseline.stddev;
    let separated_up = current.mean - current.stddev > baseline.mean + baseline.stddev;
    // A spread wider than the threshold hides any drop the threshold names.
    let too_noisy = |s: &Summary| s.mean > 0.0 && s.stddev / s.mean > threshold;
    if ratio < 1.0 - threshold {
        if separated_down {
            Verdict::Regression
        } else if too_noisy(baseline) || too_noisy(current) {
            Verdict::CannotJudge
        } else {
            Verdict::Slower
        }
    } else if ratio > 1.0 + threshold && separated_up {
        Verdict::Faster
    } else {
        Verdict::Same
    }
}

/// Every case that ran in the baseline is judged against the current file: it
/// ran (fps judged), failed (a regression), or is missing (reported; fails the
/// gate unless `allow_missing`). Files with no case in common are an error.
/// How to judge: the metric, the threshold, what a missing case means, and the
/// cases left out of the gate.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    pub metric: Metric,
    /// Relative (0.10 = 10 %).
    pub threshold: f64,
    pub allow_missing: bool,
    /// Cases whose spread is wider than the threshold pass (`--allow-noisy`).
    pub allow_noisy: bool,
    /// Case ids matching any of these (`*` matches any run of characters) are
    /// left out, and listed as such.
    pub exclude: Vec<String>,
    /// Files from different CPUs, GPUs or encoders are compared anyway (the
    /// differences listed) instead of refused.
    pub allow_env_mismatch: bool,
}

/// `*` matches any run of characters; everything else itself.
pub fn matches(pattern: &str, id: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == id;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !id.starts_with(first) || !id[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &id[first.len()..id.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

pub fn compare(
    baseline: &Results,
    current: &Results,
    gate: &Gate,
) -> Result<Comparison, CompareError> {
    let excluded_case = |c: &CaseResult| gate.exclude.iter().any(|p| matches(p, &c.id));
    let excluded: Vec<String> = baseline
        .cases
        .iter()
        .filter(|c| excluded_case(c))
        .map(key)
        .collect();
    let base = gated(baseline, gate.metric, &excluded_case)?;
    // Linear in cases: each side's keys indexed once (the first case of a key
    // wins, as a search from the start would find it).
    let mut now_by_key: HashMap<String, &CaseResult> = HashMap::with_capacity(current.cases.len());
    for c in &current.cases {
        now_by_key.entry(key(c)).or_insert(c);
    }
    if !base.iter().any(|b| now_by_key.contains_key(&key(b))) {
        return Err(nothing_in_common(&base, current));
    }
    let mut cases = Vec::new();
    let mut missing_cases = Vec::new();
    let mut env = environment_mismatches(baseline, current);
    for b in &base {
        match now_by_key.get(&key(b)) {
            None => missing_cases.push(key(b)),
            Some(c) => match judge_case(b, c, gate, &mut env) {
                Judged::Compared(compared) => cases.push(compared),
                Judged::Missing(why) => missing_cases.push(why),
            },
        }
    }
    if !env.is_empty() && !gate.allow_env_mismatch {
        return Err(CompareError::Environments(env.join("; ")));
    }
    Ok(Comparison {
        schema: COMPARE_SCHEMA,
        schema_version: COMPARE_SCHEMA_VERSION,
        metric: gate.metric,
        threshold: gate.threshold,
        excluded,
        cases,
        new_cases: new_cases(&base, current, &excluded_case),
        missing_cases,
        allow_missing: gate.allow_missing,
        allow_noisy: gate.allow_noisy,
        environment_mismatches: env,
    })
}

/// The baseline's cases the gate judges: ran, not excluded, with the metric.
fn gated<'b>(
    baseline: &'b Results,
    metric: Metric,
    excluded: &dyn Fn(&CaseResult) -> bool,
) -> Result<Vec<&'b CaseResult>, CompareError> {
    let ran: Vec<&CaseResult> = baseline
        .cases
        .iter()
        .filter(|c| c.is_ok() && !excluded(c))
        .collect();
    if ran.is_empty() {
        return Err(CompareError::EmptyBaseline);
    }
    let base: Vec<&CaseResult> = ran
        .into_iter()
        .filter(|c| metric.value(c).is_some())
        .collect();
    if base.is_empty() {
        return Err(CompareError::NoRatios);
    }
    Ok(base)
}

fn nothing_in_common(base: &[&CaseResult], current: &Results) -> CompareError {
    let list = |cases: &mut dyn Iterator<Item = &CaseResult>| {
        let keys: Vec<String> = cases.map(key).take(3).collect();
        if keys.is_empty() {
            "none".to_string()
        } else {
            keys.join(", ")
        }
    };
    CompareError::NothingInCommon {
        baseline: list(&mut base.iter().copied()),
        current: list(&mut current.cases.iter()),
    }
}

/// The encoder that wrote the case's frames now; a case that ran nothing says so.
fn encoder_now(c: &CaseResult) -> String {
    if c.encoder.used.is_none() && c.runs.is_empty() {
        "none (ran nothing)".into()
    } else {
        label::encoder(c)
    }
}

/// A baseline case against the same case now.
enum Judged {
    Compared(CaseComparison),
    /// Not comparable now (skipped, or no metric beside the same reference): why.
    Missing(String),
}

/// Baseline case `b` against the same case now: its comparison, or why it is
/// missing (skipped now, or no metric beside the same reference).
fn judge_case(b: &CaseResult, c: &CaseResult, gate: &Gate, env: &mut Vec<String>) -> Judged {
    let k = key(b);
    let (bs, reference) = gate.metric.value(b).expect("gated on it");
    let now = gate.metric.value(c).filter(|(_, r)| *r == reference);
    let compared = |current: Option<Summary>, verdict, cause| CaseComparison {
        key: k.clone(),
        reference: reference.map(str::to_string),
        baseline_mean: bs.mean,
        baseline_stddev: bs.stddev,
        current_mean: current.map(|s: Summary| s.mean),
        current_stddev: current.map(|s: Summary| s.stddev),
        ratio: current.map(|s: Summary| s.mean / bs.mean),
        verdict,
        encoder: encoder_now(c),
        cause,
    };
    match (c.status, now) {
        // It ran, but without the same reference measured beside it.
        (CaseStatus::Ok, None) if c.fps.is_some() => Judged::Missing(format!(
            "{k} (no {} now: {})",
            gate.metric.name(),
            reference.unwrap_or("-")
        )),
        (CaseStatus::Ok, Some((cs, _))) => {
            // A fallback run against an NVENC baseline is another benchmark, not a regression.
            if b.encoder.used != c.encoder.used {
                env.push(format!(
                    "{k}: the baseline ran {}, this run {}",
                    label::encoder(b),
                    label::encoder(c)
                ));
            }
            Judged::Compared(compared(Some(cs), judge(&bs, &cs, gate.threshold), None))
        }
        (CaseStatus::Skipped, _) => Judged::Missing(format!(
            "{k} (skipped now: {})",
            c.reason.as_ref().map_or("?", |r| r.cause())
        )),
        (CaseStatus::Failed | CaseStatus::Ok, _) => Judged::Compared(compared(
            None,
            Verdict::Failed,
            Some(c.reason.as_ref().map_or_else(
                || "no fps measured".to_string(),
                |r| format!("{}: {r}", r.cause()),
            )),
        )),
    }
}

/// Cases only in the current file — not the reference cases the ratios of
/// the gated ones are measured against (`--metric ratio`).
fn new_cases(
    base: &[&CaseResult],
    current: &Results,
    excluded: &dyn Fn(&CaseResult) -> bool,
) -> Vec<String> {
    let base_keys: HashSet<String> = base.iter().map(|b| key(b)).collect();
    let references: HashSet<&str> = current
        .cases
        .iter()
        .filter_map(|c| c.relative.as_ref().map(|r| r.reference.as_str()))
        .collect();
    current
        .cases
        .iter()
        .filter(|c| !excluded(c) && !references.contains(c.id.as_str()))
        .map(key)
        .filter(|k| !base_keys.contains(k))
        .collect()
}

/// What must match for fps to be comparable: CPU model, GPUs (and, per case, the encoder used).
fn environment_mismatches(baseline: &Results, current: &Results) -> Vec<String> {
    let (b, c) = (&baseline.environment, &current.environment);
    let mut out = Vec::new();
    if b.host.cpu_model != c.host.cpu_model {
        out.push(format!(
            "CPU: baseline '{}', current '{}'",
            b.host.cpu_model, c.host.cpu_model
        ));
    }
    if b.host.logical_cores != c.host.logical_cores {
        out.push(format!(
            "cores: baseline {}, current {}",
            b.host.logical_cores, c.host.logical_cores
        ));
    }
    if b.gpus != c.gpus {
        out.push(format!("GPU: baseline {:?}, current {:?}", b.gpus, c.gpus));
    }
    out
}

/// A `--threshold` that is not one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThresholdError {
    #[error("--threshold '{0}' is not a percentage like 10%")]
    NotANumber(String),
    #[error("--threshold '{0}' must be between 0% and 100%")]
    OutOfRange(String),
}

/// "10%", "10", "0.1" → 0.10.
pub fn parse_threshold(s: &str) -> Result<f64, ThresholdError> {
    let t = s.trim();
    let v: f64 = t
        .trim_end_matches('%')
        .trim()
        .parse()
        .map_err(|_| ThresholdError::NotANumber(s.to_string()))?;
    let v = if t.ends_with('%') || v >= 1.0 {
        v / 100.0
    } else {
        v
    };
    if !(0.0..1.0).contains(&v) {
        return Err(ThresholdError::OutOfRange(s.to_string()));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {

    /// A 60 % drop of a case whose baseline spreads ±70 % is not "within
    /// noise": the gate cannot judge it, says so and fails, unless allowed.
    #[test]
    fn a_spread_wider_than_the_threshold_cannot_hide_a_drop() {
        let summary = |mean: f64, stddev: f64| Summary {
            mean,
            stddev,
            ..Summary::of(&[mean]).unwrap()
        };
        let noisy = summary(100.0, 70.0);
        let dropped = summary(40.0, 2.0);
        assert_eq!(judge(&noisy, &dropped, 0.10), Verdict::CannotJudge);
        assert!(Verdict::CannotJudge.fails(false));
        assert!(!Verdict::CannotJudge.fails(true));
        // Quiet runs within the threshold's reach stay as they were.
        assert_eq!(
            judge(&summary(100.0, 5.0), &summary(88.0, 8.0), 0.10),
            Verdict::Slower
        );
        assert_eq!(
            judge(&summary(100.0, 2.0), &summary(40.0, 2.0), 0.10),
            Verdict::Regression
        );
    }

    /// `--metric ratio`: the reference case the ratios are measured against is
    /// not listed as a new case; a case that failed before running says it ran
    /// nothing, not the encoder it asked for.
    #[test]
    fn the_ratio_reference_is_no_new_case_and_a_case_that_ran_nothing_says_so() {
        let r = crate::results::Results::from_json(include_str!(
            "../../reports/baseline/ci-2core.json"
        ))
        .unwrap();
        assert!(r.cases.iter().any(|c| c.relative.is_some()));
        let gate = Gate {
            metric: Metric::Ratio,
            threshold: 0.10,
            ..Default::default()
        };
        let same = compare(&r, &r, &gate).unwrap();
        assert!(same.new_cases.is_empty(), "{:?}", same.new_cases);
        let mut now = r.clone();
        let c = now.cases.iter_mut().find(|c| c.relative.is_some()).unwrap();
        c.status = CaseStatus::Failed;
        c.runs.clear();
        c.encoder.used = None;
        c.fps = None;
        c.relative = None;
        let failed = compare(&r, &now, &gate).unwrap();
        let case = failed
            .cases
            .iter()
            .find(|x| matches!(x.verdict, Verdict::Failed))
            .expect("a failed case");
        assert_eq!(case.encoder, "none (ran nothing)");
    }
    use super::*;

    fn s(mean: f64, stddev: f64) -> Summary {
        Summary {
            n: 3,
            mean,
            median: mean,
            min: mean - stddev,
            max: mean + stddev,
            stddev,
        }
    }

    #[test]
    fn exclude_patterns_match_ids() {
        assert!(matches("original/*", "original/pillow/opencv-mp4v"));
        assert!(matches("*/opencv-mp4v", "fast/opencv/opencv-mp4v"));
        assert!(matches("*/h264_nvenc/*", "nvenc/native/h264_nvenc/p1"));
        assert!(matches(
            "nvenc/native/h264_nvenc/p1",
            "nvenc/native/h264_nvenc/p1"
        ));
        assert!(!matches("original/*", "fast/opencv/opencv-mp4v"));
        assert!(!matches("*/p1", "nvenc/native/h264_nvenc/p1/yuv420p"));
        assert!(!matches("a*b*c", "acb"));
    }

    #[test]
    fn clear_regression_is_caught() {
        assert_eq!(
            judge(&s(100.0, 2.0), &s(70.0, 2.0), 0.10),
            Verdict::Regression
        );
    }

    #[test]
    fn noise_within_spread_is_not_flagged() {
        // 15 % slower, beyond the threshold, but both runs are noisy: overlapping spreads.
        assert_eq!(judge(&s(100.0, 10.0), &s(85.0, 8.0), 0.10), Verdict::Slower);
        // 5 % slower with tight spreads: below the threshold.
        assert_eq!(judge(&s(100.0, 0.5), &s(95.0, 0.5), 0.10), Verdict::Same);
    }

    #[test]
    fn faster_needs_both_too() {
        assert_eq!(judge(&s(100.0, 1.0), &s(130.0, 1.0), 0.10), Verdict::Faster);
        assert_eq!(judge(&s(100.0, 20.0), &s(115.0, 20.0), 0.10), Verdict::Same);
    }

    #[test]
    fn thresholds() {
        assert_eq!(parse_threshold("10%").unwrap(), 0.10);
        assert_eq!(parse_threshold("5").unwrap(), 0.05);
        assert_eq!(parse_threshold("0.2").unwrap(), 0.2);
        assert!(parse_threshold("abc").is_err());
        assert!(parse_threshold("150%").is_err());
    }
}
