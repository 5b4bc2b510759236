//! Regression logic for `compare`: matching cases across two results files and
//! judging each against a threshold *and* the measured run-to-run spread, so a
//! noisy shared runner does not cry wolf. Statistics only; no I/O.

use serde::Serialize;

use crate::bench::stats::Summary;
use crate::results::{CaseResult, CaseStatus, Results};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Faster,
    Same,
    /// Slower by more than the threshold, but within the measured spread: not flagged.
    Slower,
    Regression,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseComparison {
    pub key: String,
    pub baseline_fps: f64,
    pub current_fps: f64,
    pub baseline_stddev: f64,
    pub current_stddev: f64,
    /// current / baseline.
    pub ratio: f64,
    pub verdict: Verdict,
    pub encoder: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub threshold: f64,
    pub cases: Vec<CaseComparison>,
    /// In the current file only.
    pub new_cases: Vec<String>,
    /// In the baseline only (or failed/skipped now).
    pub missing_cases: Vec<String>,
    pub environment_mismatches: Vec<String>,
}

impl Comparison {
    pub fn regressions(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.verdict == Verdict::Regression)
            .count()
    }
}

/// Cases are matched on id (mode/overlay/requested encoder/preset) and resolution.
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

pub fn compare(baseline: &Results, current: &Results, threshold: f64) -> Comparison {
    let ok = |r: &Results| -> Vec<(String, CaseResult)> {
        r.cases
            .iter()
            .filter(|c| matches!(c.status, CaseStatus::Ok) && c.fps.is_some())
            .map(|c| (key(c), c.clone()))
            .collect()
    };
    let (base, cur) = (ok(baseline), ok(current));
    let mut cases = Vec::new();
    let mut env = environment_mismatches(baseline, current);
    for (k, b) in &base {
        let Some((_, c)) = cur.iter().find(|(ck, _)| ck == k) else {
            continue;
        };
        // A fallback run against an NVENC baseline is another benchmark, not a regression.
        if b.encoder != c.encoder {
            env.push(format!(
                "{k}: the baseline ran {}, this run {}",
                b.encoder.as_deref().unwrap_or("?"),
                c.encoder.as_deref().unwrap_or("?")
            ));
        }
        let (bs, cs) = (b.fps.expect("filtered"), c.fps.expect("filtered"));
        cases.push(CaseComparison {
            key: k.clone(),
            baseline_fps: bs.mean,
            current_fps: cs.mean,
            baseline_stddev: bs.stddev,
            current_stddev: cs.stddev,
            ratio: cs.mean / bs.mean,
            verdict: judge(&bs, &cs, threshold),
            encoder: c.encoder.clone(),
        });
    }
    Comparison {
        threshold,
        new_cases: cur
            .iter()
            .filter(|(k, _)| !base.iter().any(|(bk, _)| bk == k))
            .map(|(k, _)| k.clone())
            .collect(),
        missing_cases: base
            .iter()
            .filter(|(k, _)| !cur.iter().any(|(ck, _)| ck == k))
            .map(|(k, _)| k.clone())
            .collect(),
        environment_mismatches: env,
        cases,
    }
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
