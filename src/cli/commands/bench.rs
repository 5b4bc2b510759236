//! `nvviz-bench bench`: builds the matrix from the flags, runs it, prints the
//! summary table and keeps the JSON results current.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::bail;
use comfy_table::{Cell, Color};
use serde_json::json;

use super::Outcome;
use crate::bench::case::{expand, parse_presets, MatrixOptions, Mode};
use crate::bench::{self, EngineOptions};
use crate::cli::options;
use crate::cli::progress::{Display, Terminal};
use crate::cli::BenchArgs;
use crate::overlay::{Overlay, StyleKind};
use crate::probe::gpu;
use crate::results::export::{ExportFormat, ExportManager};
use crate::results::{label, CaseStatus, Results, Sink, RESULTS_SCHEMA, RESULTS_SCHEMA_VERSION};

pub fn run(args: &BenchArgs) -> anyhow::Result<Outcome> {
    let verbose = args.verbose;
    let presets = match options::profile_preset(args.encoder.profile) {
        Some(p) => vec![p],
        None => parse_presets(&args.presets).map_err(|e| anyhow::anyhow!("--presets: {e}"))?,
    };
    for codec in &args.codecs {
        if !matches!(codec.as_str(), "h264" | "hevc" | "av1")
            && !codec.contains("lib")
            && !crate::results::codec::is_nvenc(codec)
        {
            bail!("--codecs: '{codec}' is not h264, hevc, av1 or an encoder name (libx264, hevc_nvenc, …)");
        }
    }
    let write_timeout = options::seconds("--write-timeout", args.encoder.write_timeout)?;
    let modes: Vec<Mode> = if args.modes.is_empty() {
        Mode::ALL.to_vec()
    } else {
        args.modes.clone()
    };
    let gpu = gpu::probe();
    let mut chooser = options::chooser(&args.encoder, &gpu)?;
    let cases_for = |template: &crate::ffmpeg::args::EncodeSettings| {
        expand(&MatrixOptions {
            modes: &modes,
            codecs: &args.codecs,
            presets: &presets,
            template,
            fourcc: &args.encoder.fourcc,
            opencv_built: cfg!(feature = "opencv"),
            pix_fmts: &args.pix_fmts,
            sessions: &args.sessions,
            pipe_size: args.engine.config().pipe.size,
        })
    };
    // The cases' names (their outputs) do not depend on the fps; their GOP
    // does, so they are made again once the workload says what it is.
    let cases = cases_for(&options::encode_template(&args.encoder, 30.0));

    let mut outputs: Vec<(&str, std::path::PathBuf)> = [
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
    options::refuse_overwriting_inputs(&args.workload, &outputs)?;
    let workload = options::workload(
        &args.workload,
        chooser.ffmpeg().ok_or(chooser.ffmpeg_unusable()),
        args.warmup,
    )?;
    let template = options::encode_template(&args.encoder, workload.info.fps);
    let cases = cases_for(&template);
    bench::check_sizes(&cases, &workload.info)?;
    // A baseline to compare with is read now, not after minutes of measuring.
    let baseline = args
        .baseline
        .as_ref()
        .map(|name| load_baseline(name))
        .transpose()?;

    if let Some(n) = args.snapshot {
        // Frames past the run have no detections: their snapshot would show no overlay.
        let last = args.warmup + workload.info.frames;
        if n >= last {
            bail!(
                "--snapshot {n}: this run has frames 0 to {} (warm-up included); pick one of those",
                last - 1
            );
        }
        write_snapshots(&workload, n, &args.snapshot_dir)?;
    }

    let mut results = Results {
        schema: RESULTS_SCHEMA.into(),
        schema_version: RESULTS_SCHEMA_VERSION,
        started_unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        incomplete: true,
        interrupted: false,
        environment: crate::probe::fingerprint::collect(
            chooser.ffmpeg().zip(chooser.ffmpeg_info()),
            &gpu,
        ),
        config: json!({
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
            "captions": {
                "confidence_threshold": args.workload.confidence_threshold,
                "exclude_class": args.workload.exclude_class,
                "common_categories": args.workload.common_categories,
            },
            "start_ms": args.workload.start,
            "duration_ms": args.workload.duration,
        }),
        workload: workload.info.clone(),
        cases: Vec::new(),
    };
    // Every destination is written before the long run: a bad path fails now,
    // not after minutes of measuring.
    let baseline_file = args
        .save_baseline
        .as_deref()
        .map(baseline_path)
        .transpose()?;
    if let Some(dir) = baseline_file.as_deref().and_then(std::path::Path::parent) {
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
            exports.add(path, format, &results)?;
        }
    }

    let options = EngineOptions {
        runs: args.runs,
        warmup: args.warmup,
        keep_outputs: args.keep_outputs.clone(),
        write_timeout,
        observer: std::sync::Arc::new(Terminal(Display::detect(args.quiet))),
        gpu_sample_period: Duration::from_millis(200),
        quality: args.quality,
        engine: args.engine.config(),
        interleave: args.interleave,
    };
    if let Err(e) = bench::run(
        &cases,
        &workload,
        &mut chooser,
        &options,
        &mut results,
        &exports,
    ) {
        // Whatever ended the run, what it measured is said and kept.
        if e.is::<crate::interrupt::Interrupted>() || !results.cases.is_empty() {
            crate::cli::stdio::err(&summary(&results, verbose));
            match finish_exports(&exports, &results) {
                Err(export) => crate::cli::stdio::errln!("warning: {export:#}"),
                Ok(()) => {
                    if let Some(path) = exports.json_path() {
                        crate::cli::stdio::errln!("results so far: {}", path.display());
                    }
                }
            }
        }
        return Err(e);
    }
    results.incomplete = false;
    finish_exports(&exports, &results)?;
    // With an export on stdout, stdout is that document alone: the table goes to stderr.
    let say = |text: String| -> Result<(), crate::cli::stdio::StdoutError> {
        if exports.uses_stdout() {
            crate::cli::stdio::err(&text);
            Ok(())
        } else {
            crate::cli::stdio::out(&text)
        }
    };
    say(summary(&results, verbose))?;
    if let Some(path) = args.export_json.as_ref().filter(|p| p.as_os_str() != "-") {
        say(format!("results: {}\n", path.display()))?;
    }
    if let (Some(name), Some(path)) = (&args.save_baseline, &baseline_file) {
        say(format!("baseline '{name}' saved: {}\n", path.display()))?;
    }
    let failed = results
        .cases
        .iter()
        .filter(|c| matches!(c.status, CaseStatus::Failed))
        .count();
    let mut outcome = if failed == 0 {
        Outcome::Ok
    } else {
        Outcome::RequirementNotMet
    };
    if let (Some(name), Some((path, baseline))) = (&args.baseline, &baseline) {
        crate::cli::stdio::outln!("\ncompared with baseline '{name}' ({}):", path.display())?;
        if super::compare::compare_and_print(
            baseline,
            &results,
            &crate::compare::Gate {
                threshold: 0.10,
                ..Default::default()
            },
            false,
            false,
            false,
        )? != Outcome::Ok
        {
            outcome = Outcome::RequirementNotMet;
        }
    }
    Ok(outcome)
}

/// Where named baselines live: $NVVIZ_BASELINE_DIR, else .nvviz-bench/baselines/.
pub fn baseline_path(name: &str) -> anyhow::Result<std::path::PathBuf> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        bail!("baseline name '{name}' must be a plain name like 'main' (no slashes)");
    }
    let dir = std::env::var_os("NVVIZ_BASELINE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(".nvviz-bench/baselines"));
    Ok(dir.join(format!("{name}.json")))
}

fn write_snapshots(
    workload: &crate::workload::Workload,
    n: u64,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let info = &workload.info;
    let mut reader = workload.reader()?;
    let mut base = crate::frame::Frame::new(info.width, info.height);
    for i in 0..=n {
        if !reader.read_into(&mut base)? {
            bail!("--snapshot {n}: the input has only {i} frames");
        }
    }
    for kind in [StyleKind::Pillow, StyleKind::Opencv, StyleKind::Native] {
        if !kind.available() {
            crate::cli::stdio::errln!("snapshot: {} skipped (built without OpenCV)", kind.name());
            continue;
        }
        let mut frame = base.clone();
        Overlay::for_workload(kind, info)?.draw(&mut frame, n, &workload.detections.persons(n))?;
        let path = dir.join(format!("snapshot-frame{n}-{}.png", kind.name()));
        frame.save_png(&path)?;
        crate::cli::stdio::errln!("snapshot: {}", path.display());
    }
    Ok(())
}

/// The end-of-run table: mode, encoder, preset, fps ± spread, stage costs, speedup vs original.
pub fn summary(results: &Results, verbose: bool) -> String {
    let env = &results.environment;
    let mut out = format!(
        "\nnvviz-bench {} (commit {}) on {} ({} cores){}; ffmpeg {}\n",
        env.tool_version,
        env.git_commit,
        env.host.cpu_model,
        env.host.logical_cores,
        if env.gpus.is_empty() {
            String::new()
        } else {
            format!(", {}", env.gpus.join(", "))
        },
        env.ffmpeg_version.as_deref().unwrap_or("not found"),
    );
    let original = results
        .cases
        .iter()
        .find(|c| c.mode == Mode::Original && c.is_ok())
        .and_then(|c| c.fps.map(|f| f.mean));
    let mut table = crate::cli::output::styled_table(&[
        "mode",
        "overlay",
        "encoder",
        "preset",
        "pipe",
        "fps",
        "overlay ms/f",
        "encode ms/f",
        "vs original",
    ]);
    for c in &results.cases {
        let encoder = label::encoder(c);
        let ok = c.is_ok();
        let fps = if ok { label::fps(c) } else { label::outcome(c) };
        let stages = c.stages_ms_per_frame.as_ref();
        let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
        let overlay_ms = stages
            .filter(|_| c.overlay.is_some())
            .map(|s| s.overlay + s.conversion);
        let encode_ms = stages
            .filter(|_| c.sink != Sink::Null)
            .map(|s| s.write + s.finalize);
        let speedup = match (original, c.fps) {
            (Some(o), Some(f)) if o > 0.0 && matches!(c.status, CaseStatus::Ok) => {
                format!("{:.1}x", f.mean / o)
            }
            _ => "-".into(),
        };
        table.add_row(vec![
            Cell::new(c.mode),
            Cell::new(label::overlay(c)).fg(if c.stand_in.is_some() {
                Color::Yellow
            } else {
                Color::Reset
            }),
            Cell::new(encoder).fg(if c.encoder.is_fallback() || c.stand_in.is_some() {
                Color::Yellow
            } else {
                Color::Reset
            }),
            Cell::new(c.preset.used.as_deref().unwrap_or("-")),
            Cell::new(label::pipe(c)),
            Cell::new(fps).fg(if ok { Color::Reset } else { Color::Red }),
            Cell::new(ms(overlay_ms)),
            Cell::new(ms(encode_ms)),
            Cell::new(speedup),
        ]);
    }
    out.push_str(&format!("{table}\n"));
    // --realtime: did each case keep up live (its last run)?
    for c in &results.cases {
        if let Some(r) = c.runs.last().and_then(|r| r.realtime.as_ref()) {
            out.push_str(&format!("realtime: {}: {}\n", c.id, label::realtime(r)));
        }
    }
    // Failures in words, each with what to do: the cause name alone is not enough.
    for c in results
        .cases
        .iter()
        .filter(|c| c.status == CaseStatus::Failed)
    {
        if let Some(r) = c.reason.as_ref().filter(|r| !r.is_interrupted()) {
            out.push_str(&format!("failed: {}: {} ({r})", c.id, r.cause()));
            if let Some(fix) = r.fix() {
                out.push_str(&format!("; fix: {fix}"));
            }
            out.push('\n');
        }
    }
    // Fallbacks, prominently and with their reasons: a libx264 number is not an NVENC number.
    let mut seen = std::collections::BTreeSet::new();
    for c in &results.cases {
        if let Some(fb) = &c.encoder.fallback {
            let line = format!(
                "fallback: {} -> {}: {} ({})",
                fb.from,
                c.encoder.used_or_requested(),
                fb.cause.kind(),
                fb.cause
            );
            if seen.insert(line.clone()) {
                out.push_str(&format!("{line}\n"));
            }
        }
        if verbose {
            if let Some(cmd) = &c.command {
                out.push_str(&format!("{}: {cmd}\n", c.id));
            }
        }
    }
    // Like hyperfine's warnings: a busy machine measures its scheduler.
    let flagged = |per_case: fn(&crate::results::CaseResult) -> Option<f64>| {
        let cases: Vec<(&str, f64)> = results
            .cases
            .iter()
            .filter_map(|c| Some((c.id.as_str(), per_case(c)?)))
            .collect();
        let worst = cases.iter().map(|(_, o)| *o).reduce(f64::max)?;
        Some((worst, cases.len(), cases[0].0))
    };
    let total = results.cases.len();
    if let Some((worst, n, first)) = flagged(crate::results::CaseResult::flagged_others) {
        out.push_str(&format!(
            "warning: other processes used up to {worst:.1} cores during {n} of {total} cases ({first}...): \
             their figures measure the machine's load as much as the work; rerun on a quiet machine \
             (the results keep `others_cores` per run)\n"
        ));
    }
    if let Some((worst, n, first)) = flagged(crate::results::CaseResult::flagged_steal) {
        out.push_str(&format!(
            "warning: the hypervisor ran other guests on this VM's CPUs, up to {worst:.1} cores' worth (steal), \
             during {n} of {total} cases ({first}...): their figures measure the host's load as much as the work; \
             rerun when the host is quieter, or on dedicated cores (the results keep `steal_cores` per run)\n"
        ));
    }
    out
}

/// Every export written once more; the stdout export printed.
fn finish_exports(exports: &ExportManager, results: &Results) -> anyhow::Result<()> {
    if let Some(bytes) = exports.finish(results)? {
        crate::cli::stdio::out_bytes(&bytes)?;
    }
    Ok(())
}

/// `--baseline NAME`: its file and results, or why it cannot be read.
fn load_baseline(name: &str) -> anyhow::Result<(std::path::PathBuf, Results)> {
    let path = baseline_path(name)?;
    let mut loaded = crate::report::load(std::slice::from_ref(&path)).map_err(|e| {
        anyhow::anyhow!("baseline '{name}': {e:#} (save one with --save-baseline {name})")
    })?;
    Ok((path, loaded.remove(0).results))
}

#[cfg(test)]
mod tests {
    use super::summary;
    use crate::results::{label, Results};

    /// A real bench of the CI type (quiet: nothing flagged), then one run given
    /// the hypervisor's steal: the summary warns and the case's fps says so.
    #[test]
    fn stolen_time_is_flagged_like_other_processes_load() {
        let text =
            include_str!("../../../reports/perf/ci-2core-transport/ceiling-study/default.json");
        let mut results = Results::from_json(text).unwrap();
        let quiet = summary(&results, false);
        assert!(!quiet.contains("warning"), "{quiet}");
        let case = 1;
        results.cases[case].runs[0].steal_cores = Some(1.24);
        // Under the busy threshold elsewhere: only the one case is named.
        results.cases[0].runs[0].steal_cores = Some(0.1);
        let noisy = summary(&results, false);
        let id = &results.cases[case].id;
        assert!(
            noisy.contains(&format!(
                "warning: the hypervisor ran other guests on this VM's CPUs, up to 1.2 cores' worth (steal), \
                 during 1 of {} cases ({id}...)",
                results.cases.len()
            )),
            "{noisy}"
        );
        assert!(!noisy.contains("other processes used"), "{noisy}");
        assert!(label::fps(&results.cases[case]).ends_with(" (stolen: 1.2 cores)"));
        assert!(!label::fps(&results.cases[0]).contains("stolen"));
    }
}
