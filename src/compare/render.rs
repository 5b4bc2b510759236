//! A comparison as people read it: the terminal's table with its footer
//! (what failed, what is missing, what cannot be judged) and the markdown for a
//! CI job's summary.

use comfy_table::{Cell, Color};

use super::{CaseComparison, Comparison, Metric, Verdict};

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Faster => "faster",
        Verdict::Same => "same",
        Verdict::Slower => "slower (within noise)",
        Verdict::Regression => "REGRESSION",
        Verdict::CannotJudge => "CANNOT JUDGE (spread wider than the threshold)",
        Verdict::Failed => "FAILED NOW",
    }
}

/// "baseline fps", "baseline ratio" — what the columns hold.
fn headers(r: &Comparison) -> [String; 6] {
    let m = r.metric.name();
    [
        "case".into(),
        "encoder now".into(),
        format!("baseline {m}"),
        format!("current {m}"),
        "current/baseline".into(),
        "verdict".into(),
    ]
}

/// "1.5 ± 0.1" for fps, "0.812 ± 0.010" for ratios.
fn value(metric: Metric, mean: f64, stddev: f64) -> String {
    match metric {
        Metric::Fps => format!("{mean:.1} ± {stddev:.1}"),
        Metric::Ratio => format!("{mean:.3} ± {stddev:.3}"),
    }
}

fn case_name(c: &CaseComparison) -> String {
    match &c.reference {
        Some(r) => format!("{} (÷ {r})", c.key),
        None => c.key.clone(),
    }
}

pub fn table(r: &Comparison) -> String {
    let h = headers(r);
    let mut t = crate::report::terminal::styled_table(&h.each_ref().map(String::as_str));
    for c in &r.cases {
        let color = match c.verdict {
            Verdict::Regression | Verdict::Failed | Verdict::CannotJudge => Color::Red,
            Verdict::Faster => Color::Green,
            Verdict::Slower => Color::Yellow,
            Verdict::Same => Color::Reset,
        };
        t.add_row(vec![
            Cell::new(case_name(c)),
            Cell::new(&c.encoder),
            Cell::new(value(r.metric, c.baseline_mean, c.baseline_stddev)),
            Cell::new(current_cell(r.metric, c)),
            Cell::new(ratio_cell(c)),
            Cell::new(verdict_word(c.verdict)).fg(color),
        ]);
    }
    let mut out = format!("{t}\n");
    out.push_str(&footer(r));
    out
}

fn current_cell(metric: Metric, c: &CaseComparison) -> String {
    match (c.current_mean, c.current_stddev, &c.cause) {
        (Some(f), Some(s), _) => value(metric, f, s),
        (_, _, Some(cause)) => format!("failed ({cause})"),
        _ => "-".into(),
    }
}

fn ratio_cell(c: &CaseComparison) -> String {
    c.ratio.map_or("-".into(), |r| format!("{r:.3}"))
}

fn footer(r: &Comparison) -> String {
    let mut out = String::new();
    for k in &r.new_cases {
        out.push_str(&format!("new case (not in the baseline): {k}\n"));
    }
    for k in &r.missing_cases {
        out.push_str(&format!(
            "missing case (ran in the baseline, not now{}): {k}\n",
            if r.allow_missing {
                "; allowed by --allow-missing"
            } else {
                "; fails the gate, --allow-missing to accept"
            }
        ));
    }
    if !r.excluded.is_empty() {
        out.push_str(&format!(
            "left out of the gate (--exclude): {}\n",
            r.excluded.join(", ")
        ));
    }
    for m in &r.environment_mismatches {
        out.push_str(&format!("environment differs: {m}\n"));
    }
    let failed = r
        .cases
        .iter()
        .filter(|c| c.verdict == Verdict::Failed)
        .count();
    for c in r.cases.iter().filter(|c| c.verdict == Verdict::CannotJudge) {
        out.push_str(&format!(
            "cannot judge {}: slower by more than {:.0}%, but a run's spread (baseline ±{:.0}%, now ±{:.0}%) is wider than that{}\n",
            c.key,
            r.threshold * 100.0,
            100.0 * c.baseline_stddev / c.baseline_mean.max(f64::MIN_POSITIVE),
            100.0 * c.current_stddev.unwrap_or(0.0)
                / c.current_mean.unwrap_or(0.0).max(f64::MIN_POSITIVE),
            if r.allow_noisy {
                "; allowed by --allow-noisy"
            } else {
                "; fails the gate: remeasure with more --runs and --interleave, or --allow-noisy"
            }
        ));
    }
    if r.metric == Metric::Ratio {
        out.push_str(
            "metric: each case's fps over its reference case's (÷) in the same rounds; a lower ratio is a slower case\n",
        );
    }
    out.push_str(&format!(
        "{}: {} regression(s) among {} cases compared ({failed} failed now; threshold {:.0}%, beyond both runs' spread), {} missing\n",
        if r.passes() { "PASS" } else { "FAIL" },
        r.regressions(),
        r.cases.len(),
        r.threshold * 100.0,
        r.missing_cases.len()
    ));
    out
}

pub fn markdown_summary(r: &Comparison) -> String {
    let mut out = format!(
        "### nvviz-bench compare\n\n| {} |\n|---|---|---|---|---|---|\n",
        headers(r).join(" | ")
    );
    for c in &r.cases {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            case_name(c),
            c.encoder,
            value(r.metric, c.baseline_mean, c.baseline_stddev),
            current_cell(r.metric, c),
            ratio_cell(c),
            verdict_word(c.verdict)
        ));
    }
    out.push('\n');
    out.push_str(
        &footer(r)
            .lines()
            .map(|l| format!("- {l}\n"))
            .collect::<String>(),
    );
    out
}

/// The markdown summary appended to `$GITHUB_STEP_SUMMARY` when CI sets it
/// (a GitHub Actions job's summary page).
pub fn append_step_summary(result: &Comparison) -> Result<(), StepSummaryError> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
        return Ok(());
    };
    let path = std::path::PathBuf::from(path);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| {
            std::io::Write::write_all(&mut file, markdown_summary(result).as_bytes())
        })
        .map_err(|cause| StepSummaryError { path, cause })
}

/// `$GITHUB_STEP_SUMMARY` could not be appended to.
#[derive(Debug, thiserror::Error)]
#[error("cannot append to $GITHUB_STEP_SUMMARY ({}): {cause}", path.display())]
pub struct StepSummaryError {
    path: std::path::PathBuf,
    cause: std::io::Error,
}
