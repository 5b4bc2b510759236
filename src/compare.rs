//! Regression logic for `compare`: matching cases across two results files and
//! judging each against a threshold *and* the measured run-to-run spread, so a
//! noisy shared runner does not cry wolf. Statistics only; no I/O.

use serde::Serialize;

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
    /// Ran in the baseline, failed now: a regression whatever the numbers.
    Failed,
}

impl Verdict {
    /// Verdicts that fail the gate.
    pub fn fails(self) -> bool {
        matches!(self, Self::Regression | Self::Failed)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseComparison {
    pub key: String,
    pub baseline_fps: f64,
    pub baseline_stddev: f64,
    /// None when the case failed now.
    pub current_fps: Option<f64>,
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
    pub threshold: f64,
    pub cases: Vec<CaseComparison>,
    /// In the current file only.
    pub new_cases: Vec<String>,
    /// Ran in the baseline, absent from the current file (or skipped there).
    pub missing_cases: Vec<String>,
    /// Missing cases do not fail the gate (`--allow-missing`).
    pub allow_missing: bool,
    pub environment_mismatches: Vec<String>,
}

pub const COMPARE_SCHEMA: &str = "nvviz-bench.compare";
pub const COMPARE_SCHEMA_VERSION: u32 = 1;

impl Comparison {
    /// Cases slower beyond threshold and spread, or failed now.
    pub fn regressions(&self) -> usize {
        self.cases.iter().filter(|c| c.verdict.fails()).count()
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
    #[error("the two files have no case in common (baseline: {baseline}; current: {current}): a changed resolution, mode or encoder list makes another benchmark — regenerate the baseline")]
    NothingInCommon { baseline: String, current: String },
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
    if ratio < 1.0 - threshold {
        if separated_down {
            Verdict::Regression
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
pub fn compare(
    baseline: &Results,
    current: &Results,
    threshold: f64,
    allow_missing: bool,
) -> Result<Comparison, CompareError> {
    let base: Vec<&CaseResult> = baseline.cases.iter().filter(|c| c.is_ok()).collect();
    if base.is_empty() {
        return Err(CompareError::EmptyBaseline);
    }
    let find = |k: &str| current.cases.iter().find(|c| key(c) == k);
    if !base.iter().any(|b| find(&key(b)).is_some()) {
        let list = |cases: &mut dyn Iterator<Item = &CaseResult>| {
            let keys: Vec<String> = cases.map(key).take(3).collect();
            if keys.is_empty() {
                "none".to_string()
            } else {
                keys.join(", ")
            }
        };
        return Err(CompareError::NothingInCommon {
            baseline: list(&mut base.iter().copied()),
            current: list(&mut current.cases.iter()),
        });
    }
    let mut cases = Vec::new();
    let mut missing_cases = Vec::new();
    let mut env = environment_mismatches(baseline, current);
    for b in &base {
        let k = key(b);
        let bs = b.fps.expect("is_ok has fps");
        let Some(c) = find(&k) else {
            missing_cases.push(k);
            continue;
        };
        match (c.status, c.fps) {
            (CaseStatus::Ok, Some(cs)) => {
                // A fallback run against an NVENC baseline is another benchmark, not a regression.
                if b.encoder.used != c.encoder.used {
                    env.push(format!(
                        "{k}: the baseline ran {}, this run {}",
                        label::encoder(b),
                        label::encoder(c)
                    ));
                }
                cases.push(CaseComparison {
                    key: k,
                    baseline_fps: bs.mean,
                    baseline_stddev: bs.stddev,
                    current_fps: Some(cs.mean),
                    current_stddev: Some(cs.stddev),
                    ratio: Some(cs.mean / bs.mean),
                    verdict: judge(&bs, &cs, threshold),
                    encoder: label::encoder(c),
                    cause: None,
                });
            }
            (CaseStatus::Skipped, _) => missing_cases.push(format!(
                "{k} (skipped now: {})",
                c.reason.as_ref().map_or("?", |r| r.cause())
            )),
            (CaseStatus::Failed | CaseStatus::Ok, _) => cases.push(CaseComparison {
                key: k,
                baseline_fps: bs.mean,
                baseline_stddev: bs.stddev,
                current_fps: None,
                current_stddev: None,
                ratio: None,
                verdict: Verdict::Failed,
                encoder: label::encoder(c),
                cause: Some(c.reason.as_ref().map_or_else(
                    || "no fps measured".to_string(),
                    |r| format!("{}: {r}", r.cause()),
                )),
            }),
        }
    }
    let new_cases = current
        .cases
        .iter()
        .filter(|c| !base.iter().any(|b| key(b) == key(c)))
        .map(key)
        .collect();
    Ok(Comparison {
        schema: COMPARE_SCHEMA,
        schema_version: COMPARE_SCHEMA_VERSION,
        threshold,
        cases,
        new_cases,
        missing_cases,
        allow_missing,
        environment_mismatches: env,
    })
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

/// "10%", "10", "0.1" → 0.10.
pub fn parse_threshold(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v: f64 = t
        .trim_end_matches('%')
        .trim()
        .parse()
        .map_err(|_| format!("--threshold '{s}' is not a percentage like 10%"))?;
    let v = if t.ends_with('%') || v >= 1.0 {
        v / 100.0
    } else {
        v
    };
    if !(0.0..1.0).contains(&v) {
        return Err(format!("--threshold '{s}' must be between 0% and 100%"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
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
