//! `nvviz-bench bench`: the flags made into a `BenchSpec`, planned and run
//! through the library's case lifecycle (`bench::plan`, `bench::run`), the
//! summary printed, the results kept current in every export, and the
//! baseline gate (`--baseline`) applied.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Outcome;
use crate::bench;
use crate::bench::case::parse_presets;
use crate::bench::plan::{BenchSpec, Exports};
use crate::cli::options;
use crate::cli::progress::{Display, Terminal};
use crate::cli::stdio::{err, errln, out, out_bytes, outln, StdoutError};
use crate::cli::BenchArgs;
use crate::report::terminal::summary::summary;
use crate::results::export::ExportManager;
use crate::results::{CaseStatus, Mode, Results};
use crate::workload::Workload;

pub fn run(args: &BenchArgs) -> anyhow::Result<Outcome> {
    let mut spec = spec(args)?;
    let gpu = crate::probe::gpu::probe();
    let pinned = args.encoder.gpus(&gpu)?;
    let mut cases = spec.cases(&pinned);
    // Everything checkable is checked before the first case runs; what needs
    // no workload, before the workload is made.
    spec.refuse_overwriting_inputs(&cases)?;
    let baseline = args
        .baseline
        .as_deref()
        .map(crate::compare::baseline::load)
        .transpose()?;
    let mut chooser = args.encoder.chooser(&gpu)?;
    spec.workload.nvdec_device = pinned.first().map(|g| g.cuda);
    let workload = options::workload(&spec.workload, &chooser)?;
    spec.fit(&mut cases, workload.info.fps);
    bench::check_sizes(&cases, &workload.info)?;
    if let Some(n) = args.snapshot {
        snapshot(&workload, n, spec.workload.warmup, &args.snapshot_dir)?;
    }
    let environment =
        crate::probe::fingerprint::collect(chooser.ffmpeg().zip(chooser.ffmpeg_info()), &gpu);
    let config = spec.config(workload.info.fps);
    let mut results = Results::begin(environment, config, workload.info.clone());
    let exports = spec.exports.open(&results)?;
    let observer = Arc::new(Terminal(Display::detect(args.quiet)));
    let options = spec.engine_options(observer);
    let ran = bench::run(
        &cases,
        &workload,
        &mut chooser,
        &options,
        &mut results,
        &exports,
    );
    if let Err(e) = ran {
        keep_what_was_measured(&results, &exports, args.verbose);
        return Err(e);
    }
    results.incomplete = false;
    finish_exports(&exports, &results)?;
    print_summary(args, &results, &exports, spec.exports.baseline.as_deref())?;
    outcome(args, baseline.as_ref(), &results)
}

/// What the flags ask `bench` to do.
fn spec(args: &BenchArgs) -> anyhow::Result<BenchSpec> {
    let template = args.encoder.template();
    let presets = match template.preset() {
        Some(p) => vec![p],
        None => parse_presets(&args.presets).map_err(|e| anyhow::anyhow!("--presets: {e}"))?,
    };
    let modes = match args.modes.as_slice() {
        [] => Mode::ALL.to_vec(),
        modes => modes.to_vec(),
    };
    let save_baseline = args.save_baseline.as_deref();
    Ok(BenchSpec {
        workload: options::workload_spec(&args.workload, args.warmup)?,
        modes,
        codecs: args.codecs.clone(),
        presets,
        template,
        fourcc: args.encoder.fourcc.clone(),
        fallback: !args.encoder.no_fallback,
        pix_fmts: args.pix_fmts.clone(),
        sessions: args.sessions.clone(),
        commands: args.commands.clone(),
        engine: args.engine.config(),
        runs: args.runs,
        interleave: args.interleave,
        quality: args.quality,
        keep_outputs: args.keep_outputs.clone(),
        exports: Exports {
            json: args.export_json.clone(),
            csv: args.export_csv.clone(),
            markdown: args.export_markdown.clone(),
            bencher: args.export_bencher.clone(),
            github_benchmark: args.export_github_benchmark.clone(),
            baseline: save_baseline
                .map(crate::compare::baseline::path)
                .transpose()?,
        },
        write_timeout: args.encoder.write_timeout,
        command_timeout: args.command_timeout,
        gpu: args.encoder.gpu,
    })
}

/// Exit 1 when a case failed or the `--baseline` gate did, else 0.
fn outcome(
    args: &BenchArgs,
    baseline: Option<&(PathBuf, Results)>,
    results: &Results,
) -> anyhow::Result<Outcome> {
    let gate = match baseline {
        Some(baseline) => gate(args, baseline, results)?,
        None => Outcome::Ok,
    };
    let failed = results.cases.iter().any(|c| c.status == CaseStatus::Failed);
    Ok(if failed {
        Outcome::RequirementNotMet
    } else {
        gate
    })
}
/// Whatever ended the run early, what it measured is said and kept.
fn keep_what_was_measured(results: &Results, exports: &ExportManager, verbose: bool) {
    if results.cases.is_empty() && !results.interrupted {
        return;
    }
    err(&summary(results, verbose));
    match finish_exports(exports, results) {
        Err(export) => errln!("warning: {export:#}"),
        Ok(()) => {
            if let Some(path) = exports.json_path() {
                errln!("results so far: {}", path.display());
            }
        }
    }
}

/// The summary and where the results went; with an export on stdout, stdout
/// is that document alone and the rest goes to stderr.
fn print_summary(
    args: &BenchArgs,
    results: &Results,
    exports: &ExportManager,
    baseline_file: Option<&Path>,
) -> Result<(), StdoutError> {
    let say = |text: String| {
        if exports.uses_stdout() {
            err(&text);
            Ok(())
        } else {
            out(&text)
        }
    };
    say(summary(results, args.verbose))?;
    if let Some(path) = args.export_json.as_ref().filter(|p| p.as_os_str() != "-") {
        say(format!("results: {}\n", path.display()))?;
    }
    if let (Some(name), Some(path)) = (&args.save_baseline, baseline_file) {
        say(format!("baseline '{name}' saved: {}\n", path.display()))?;
    }
    Ok(())
}

/// `--baseline NAME`: this run against it, with the default gate.
fn gate(
    args: &BenchArgs,
    (path, baseline): &(PathBuf, Results),
    results: &Results,
) -> anyhow::Result<Outcome> {
    let name = args.baseline.as_deref().unwrap_or_default();
    outln!("\ncompared with baseline '{name}' ({}):", path.display())?;
    super::compare::compare_and_print(
        baseline,
        results,
        &crate::compare::Gate {
            threshold: 0.10,
            ..Default::default()
        },
        false,
        false,
    )
}

/// `--snapshot N`: frame N (warm-up included) in each style, as PNG.
fn snapshot(workload: &Workload, n: u64, warmup: u64, dir: &Path) -> anyhow::Result<()> {
    use crate::overlay::snapshot::{write, Snapshot};
    for snapshot in write(workload, n, warmup, dir)? {
        match snapshot {
            Snapshot::Written(path) => errln!("snapshot: {}", path.display()),
            Snapshot::Skipped { style, why } => errln!("snapshot: {style} skipped ({why})"),
        }
    }
    Ok(())
}

/// Every export written once more; the stdout export printed.
fn finish_exports(exports: &ExportManager, results: &Results) -> anyhow::Result<()> {
    if let Some(bytes) = exports.finish(results)? {
        out_bytes(&bytes)?;
    }
    Ok(())
}
