//! `nvviz-bench bench`: the flags made into a workload and a matrix of
//! cases, run through the library's case lifecycle (`bench::run`), the
//! summary printed, the results kept current in every export, and the
//! baseline gate (`--baseline`) applied.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::Outcome;
use crate::bench::case::{expand, on_gpus, parse_presets, CaseSpec, MatrixOptions, Mode};
use crate::bench::{self, EngineOptions, Keep};
use crate::cli::options;
use crate::cli::progress::{Display, Terminal};
use crate::cli::stdio::{err, errln, out, out_bytes, outln, StdoutError};
use crate::cli::BenchArgs;
use crate::ffmpeg::args::EncodeSettings;
use crate::report::terminal::summary::summary;
use crate::results::export::{ExportFormat, ExportManager};
use crate::results::{CaseStatus, Results};
use crate::workload::Workload;

pub fn run(args: &BenchArgs) -> anyhow::Result<Outcome> {
    let presets = presets(args)?;
    let write_timeout = options::seconds("--write-timeout", args.encoder.write_timeout)?;
    let modes = if args.modes.is_empty() {
        Mode::ALL.to_vec()
    } else {
        args.modes.clone()
    };
    let gpu = crate::probe::gpu::probe();
    let pinned = args.encoder.gpus(&gpu)?;
    let mut cases = on_gpus(matrix(args, &modes, &presets), &pinned);
    // Everything checkable is checked before the first case runs; what needs
    // no workload, before the workload is made.
    options::refuse_overwriting_inputs(&args.workload, &outputs(args, &cases))?;
    let baseline = args
        .baseline
        .as_deref()
        .map(crate::compare::baseline::load)
        .transpose()?;
    let mut chooser = args.encoder.chooser(&gpu)?;
    let workload = options::workload(
        &args.workload,
        chooser.ffmpeg().ok_or(chooser.ffmpeg_unusable()),
        args.warmup,
        pinned.first().map(|g| g.cuda),
    )?;
    let template = args.encoder.template().settings(workload.info.fps);
    if let Some(gop) = template.gop {
        cases.iter_mut().for_each(|c| c.set_gop(gop));
    }
    bench::check_sizes(&cases, &workload.info)?;
    if let Some(n) = args.snapshot {
        snapshot(&workload, n, args.warmup, &args.snapshot_dir)?;
    }
    let environment =
        crate::probe::fingerprint::collect(chooser.ffmpeg().zip(chooser.ffmpeg_info()), &gpu);
    let config = config(args, &modes, &presets, &template);
    let mut results = Results::begin(environment, config, workload.info.clone());
    let (exports, baseline_file) = exports(args, &results)?;
    let command_timeout = options::seconds("--command-timeout", args.command_timeout)?;
    let options = engine_options(args, write_timeout, command_timeout);
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
    print_summary(args, &results, &exports, baseline_file.as_deref())?;
    outcome(args, baseline.as_ref(), &results)
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

/// The matrix of cases the flags ask for, built once (the GOP is set when the
/// workload's frame rate is known).
fn matrix(args: &BenchArgs, modes: &[Mode], presets: &[String]) -> Vec<CaseSpec> {
    expand(&MatrixOptions {
        modes,
        codecs: &args.codecs,
        presets,
        template: &args.encoder.template().settings(30.0),
        fourcc: &args.encoder.fourcc,
        opencv_built: cfg!(feature = "opencv"),
        pix_fmts: &args.pix_fmts,
        sessions: &args.sessions,
        pipe_size: args.engine.config().pipe.size,
        commands: &args.commands,
    })
}

fn engine_options(
    args: &BenchArgs,
    write_timeout: Duration,
    command_timeout: Duration,
) -> EngineOptions {
    EngineOptions {
        runs: args.runs,
        warmup: args.warmup,
        keep: args.keep_outputs.clone().map_or(Keep::Nothing, Keep::Dir),
        write_timeout,
        observer: Arc::new(Terminal(Display::detect(args.quiet))),
        gpu_sample_period: Duration::from_millis(200),
        quality: args.quality,
        engine: args.engine.config(),
        interleave: args.interleave,
        command_timeout,
    }
}

/// `--presets` (or the one `--profile` implies).
fn presets(args: &BenchArgs) -> anyhow::Result<Vec<String>> {
    Ok(match args.encoder.template().preset() {
        Some(p) => vec![p],
        None => parse_presets(&args.presets).map_err(|e| anyhow::anyhow!("--presets: {e}"))?,
    })
}

/// Every path the run writes, by its flag (checked against the inputs).
fn outputs(args: &BenchArgs, cases: &[CaseSpec]) -> Vec<(&'static str, PathBuf)> {
    let mut outputs: Vec<(&str, PathBuf)> = [
        ("--export-json", &args.export_json),
        ("--export-bencher", &args.export_bencher),
        ("--export-csv", &args.export_csv),
        ("--export-markdown", &args.export_markdown),
        ("--export-github-benchmark", &args.export_github_benchmark),
    ]
    .into_iter()
    .filter_map(|(flag, path)| Some((flag, path.clone()?)))
    .collect();
    if let Some(dir) = &args.keep_outputs {
        outputs.extend(
            cases
                .iter()
                .map(|c| ("--keep-outputs", dir.join(c.output_file_name()))),
        );
    }
    outputs
}

/// The command line's settings, for the record.
fn config(
    args: &BenchArgs,
    modes: &[Mode],
    presets: &[String],
    template: &EncodeSettings,
) -> serde_json::Value {
    json!({
        "modes": modes.iter().map(|m| m.name()).collect::<Vec<_>>(),
        "codecs": args.codecs,
        "presets": presets,
        "profile": args.encoder.profile,
        "runs": args.runs,
        "interleave": args.interleave,
        "warmup": args.warmup,
        "encoder_template": template,
        "fourcc": args.encoder.fourcc,
        "fallback": !args.encoder.no_fallback,
        "quality": args.quality,
        "engine": args.engine.config(),
        "pix_fmts": args.pix_fmts,
        "sessions": args.sessions,
        "gpu": args.encoder.gpu.map(|g| g.to_string()),
        "captions": {
            "confidence_threshold": args.workload.confidence_threshold,
            "exclude_class": args.workload.exclude_class,
            "common_categories": args.workload.common_categories,
        },
        "start_ms": args.workload.start,
        "duration_ms": args.workload.duration,
    })
}

/// Every destination, written before the long run: a bad path fails now, not
/// after minutes of measuring. Returns them and the `--save-baseline` file.
fn exports(
    args: &BenchArgs,
    results: &Results,
) -> anyhow::Result<(ExportManager, Option<PathBuf>)> {
    let baseline_file = args
        .save_baseline
        .as_deref()
        .map(crate::compare::baseline::path)
        .transpose()?;
    if let Some(dir) = baseline_file.as_deref().and_then(Path::parent) {
        std::fs::create_dir_all(dir).map_err(|e| {
            anyhow::anyhow!("--save-baseline: cannot create {}: {e}", dir.display())
        })?;
    }
    let mut exports = ExportManager::default();
    for (path, format) in [
        (&args.export_json, ExportFormat::Json),
        (&baseline_file, ExportFormat::Json),
        (&args.export_csv, ExportFormat::Csv),
        (&args.export_markdown, ExportFormat::Markdown),
        (&args.export_bencher, ExportFormat::Bencher),
        (&args.export_github_benchmark, ExportFormat::GithubBenchmark),
    ] {
        if let Some(path) = path {
            exports.add(path, format, results)?;
        }
    }
    Ok((exports, baseline_file))
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
