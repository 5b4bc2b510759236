//! `nvviz-bench compare BASELINE CURRENT`: a CI gate that fails on real
//! regressions, not on noise. Exit 0 nothing regressed, 1 regression, 2 error.

use std::io::Write;
use std::path::Path;

use anyhow::bail;
use comfy_table::{Cell, Color};

use super::Outcome;
use crate::cli::CompareArgs;
use crate::compare::{compare, parse_threshold, Comparison, Verdict};
use crate::report;

pub fn run(args: &CompareArgs) -> anyhow::Result<Outcome> {
    let threshold = parse_threshold(&args.threshold).map_err(|e| anyhow::anyhow!(e))?;
    let inputs = report::load(&[args.baseline.clone(), args.current.clone()])?;
    compare_and_print(
        &inputs[0].results,
        &inputs[1].results,
        threshold,
        args.allow_env_mismatch,
        args.markdown,
        args.json,
    )
}

/// Shared with `bench --baseline NAME`.
pub fn compare_and_print(
    baseline: &crate::results::Results,
    current: &crate::results::Results,
    threshold: f64,
    allow_env_mismatch: bool,
    markdown: bool,
    json: bool,
) -> anyhow::Result<Outcome> {
    let result = compare(baseline, current, threshold);
    if !result.environment_mismatches.is_empty() && !allow_env_mismatch {
        bail!(
            "the environments differ ({}): that is another benchmark, not a regression; pass --allow-env-mismatch to compare anyway",
            result.environment_mismatches.join("; ")
        );
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else if markdown {
        print!("{}", markdown_summary(&result));
    } else {
        print!("{}", table(&result));
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        append(Path::new(&path), &markdown_summary(&result))?;
    }
    Ok(if result.regressions() > 0 {
        Outcome::RequirementNotMet
    } else {
        Outcome::Ok
    })
}

fn append(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot append to $GITHUB_STEP_SUMMARY ({}): {e}",
                path.display()
            )
        })?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Faster => "faster",
        Verdict::Same => "same",
        Verdict::Slower => "slower (within noise)",
        Verdict::Regression => "REGRESSION",
    }
}

fn table(r: &Comparison) -> String {
    let mut t = super::styled_table(&["case", "baseline fps", "current fps", "ratio", "verdict"]);
    for c in &r.cases {
        let color = match c.verdict {
            Verdict::Regression => Color::Red,
            Verdict::Faster => Color::Green,
            Verdict::Slower => Color::Yellow,
            Verdict::Same => Color::Reset,
        };
        t.add_row(vec![
            Cell::new(&c.key),
            Cell::new(format!("{:.1} ± {:.1}", c.baseline_fps, c.baseline_stddev)),
            Cell::new(format!("{:.1} ± {:.1}", c.current_fps, c.current_stddev)),
            Cell::new(format!("{:.3}", c.ratio)),
            Cell::new(verdict_word(c.verdict)).fg(color),
        ]);
    }
    let mut out = format!("{t}\n");
    out.push_str(&footer(r));
    out
}

fn footer(r: &Comparison) -> String {
    let mut out = String::new();
    for k in &r.new_cases {
        out.push_str(&format!("new case (not in the baseline): {k}\n"));
    }
    for k in &r.missing_cases {
        out.push_str(&format!(
            "missing case (in the baseline, not measured now): {k}\n"
        ));
    }
    for m in &r.environment_mismatches {
        out.push_str(&format!("environment differs: {m}\n"));
    }
    out.push_str(&format!(
        "{} regression(s) among {} cases (threshold {:.0}%, beyond both runs' spread)\n",
        r.regressions(),
        r.cases.len(),
        r.threshold * 100.0
    ));
    out
}

pub fn markdown_summary(r: &Comparison) -> String {
    let mut out = String::from("### nvviz-bench compare\n\n| case | baseline fps | current fps | ratio | verdict |\n|---|---|---|---|---|\n");
    for c in &r.cases {
        out.push_str(&format!(
            "| {} | {:.1} ± {:.1} | {:.1} ± {:.1} | {:.3} | {} |\n",
            c.key,
            c.baseline_fps,
            c.baseline_stddev,
            c.current_fps,
            c.current_stddev,
            c.ratio,
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
