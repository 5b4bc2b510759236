//! `nvviz-bench compare BASELINE CURRENT`: a CI gate that fails on real
//! regressions, not on noise. Exit 0: every case of the baseline ran and none
//! regressed; 1: a case slower beyond threshold and spread, a case that ran in
//! the baseline and failed now, or one missing now (unless `--allow-missing`);
//! 2: the files cannot be compared (unreadable, no case in common, different
//! environments without `--allow-env-mismatch`).

use super::Outcome;
use crate::cli::stdio::{out, outln};
use crate::cli::CompareArgs;
use crate::compare::render::{append_step_summary, markdown_summary, table};
use crate::compare::{compare, parse_threshold, Gate};
use crate::report;
use crate::results::Results;

pub fn run(args: &CompareArgs) -> anyhow::Result<Outcome> {
    let inputs = report::load(&[args.baseline.clone(), args.current.clone()])?;
    let gate = Gate {
        metric: args.metric,
        threshold: parse_threshold(&args.threshold)?,
        allow_missing: args.allow_missing,
        allow_noisy: args.allow_noisy,
        exclude: args.exclude.clone(),
        allow_env_mismatch: args.allow_env_mismatch,
    };
    let (baseline, current) = (&inputs[0].results, &inputs[1].results);
    compare_and_print(baseline, current, &gate, args.markdown, args.json)
}

/// Shared with `bench --baseline NAME`.
pub fn compare_and_print(
    baseline: &Results,
    current: &Results,
    gate: &Gate,
    markdown: bool,
    json: bool,
) -> anyhow::Result<Outcome> {
    let result = compare(baseline, current, gate)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&result)?)?;
    } else if markdown {
        out(&markdown_summary(&result))?;
    } else {
        out(&table(&result))?;
    }
    append_step_summary(&result)?;
    Ok(if result.passes() {
        Outcome::Ok
    } else {
        Outcome::RequirementNotMet
    })
}
