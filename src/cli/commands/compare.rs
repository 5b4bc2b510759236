//! `nvviz-bench compare BASELINE CURRENT`: a CI gate that fails on real
//! regressions, not on noise. Exit 0: every case of the baseline ran and none
//! regressed; 1: a case slower beyond threshold and spread, a case that ran in
//! the baseline and failed now, or one missing now (unless `--allow-missing`);
//! 2: the files cannot be compared (unreadable, no case in common, different
//! environments without `--allow-env-mismatch`).

use std::io::Write;
use std::path::Path;

use anyhow::bail;

use super::Outcome;
use crate::cli::CompareArgs;
use crate::compare::render::{markdown_summary, table};
use crate::compare::{compare, parse_threshold, Gate};
use crate::report;

pub fn run(args: &CompareArgs) -> anyhow::Result<Outcome> {
    let threshold = parse_threshold(&args.threshold)?;
    let inputs = report::load(&[args.baseline.clone(), args.current.clone()])?;
    let gate = Gate {
        metric: args.metric,
        threshold,
        allow_missing: args.allow_missing,
        allow_noisy: args.allow_noisy,
        exclude: args.exclude.clone(),
    };
    compare_and_print(
        &inputs[0].results,
        &inputs[1].results,
        &gate,
        args.allow_env_mismatch,
        args.markdown,
        args.json,
    )
}

/// Shared with `bench --baseline NAME`.
pub fn compare_and_print(
    baseline: &crate::results::Results,
    current: &crate::results::Results,
    gate: &Gate,
    allow_env_mismatch: bool,
    markdown: bool,
    json: bool,
) -> anyhow::Result<Outcome> {
    let result = compare(baseline, current, gate)?;
    if !result.environment_mismatches.is_empty() && !allow_env_mismatch {
        bail!(
            "the environments differ ({}): that is another benchmark, not a regression; pass --allow-env-mismatch to compare anyway",
            result.environment_mismatches.join("; ")
        );
    }
    if json {
        crate::cli::stdio::outln!("{}", serde_json::to_string_pretty(&result)?)?;
    } else if markdown {
        crate::cli::stdio::out(&markdown_summary(&result))?;
    } else {
        crate::cli::stdio::out(&table(&result))?;
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        append(Path::new(&path), &markdown_summary(&result))?;
    }
    Ok(if result.passes() {
        Outcome::Ok
    } else {
        Outcome::RequirementNotMet
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
