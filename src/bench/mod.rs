//! The bench engine: runs every case of the matrix `runs` times (case after
//! case, or round-robin with `--interleave`), records
//! per-stage timings, GPU samples and verified outputs, and keeps the results
//! file current after every case.

pub mod case;
pub mod case_run;
pub mod gpu_sampler;
pub mod pipeline;
pub mod progress;
pub mod quality;
pub mod run;
pub mod runner;
pub mod usage;

use std::path::PathBuf;
use std::time::Duration;

use crate::encode::fallback::Chooser;
use crate::results::export::ExportManager;
use crate::results::{CaseResult, Cause, Reason, Results};
use crate::workload::Workload;
use case::{CaseSpec, SinkSpec};
use case_run::{CaseRun, Step};
use progress::Observer;

pub struct EngineOptions {
    pub runs: u32,
    pub warmup: u64,
    pub keep_outputs: Option<PathBuf>,
    pub write_timeout: Duration,
    /// Told of each run's frames and each finished case (the library never prints).
    pub observer: std::sync::Arc<dyn Observer>,
    pub gpu_sample_period: Duration,
    /// Measure PSNR/SSIM (and VMAF where available) of every ffmpeg-pipe output.
    pub quality: bool,
    pub engine: pipeline::EngineConfig,
    /// Round-robin: every case's first run, then every case's second, … so a
    /// machine that drifts over the bench drifts under every case alike.
    pub interleave: bool,
}

/// Runs `cases`, appending each finished case to `results` and rewriting `export`.
pub fn run<'a>(
    cases: &'a [CaseSpec],
    workload: &'a Workload,
    chooser: &mut Chooser,
    options: &EngineOptions,
    results: &mut Results,
    exports: &ExportManager,
) -> anyhow::Result<()> {
    let scratch = crate::scratch::dir("bench")?;
    let out_dir = options
        .keep_outputs
        .clone()
        .unwrap_or_else(|| scratch.path().to_path_buf());
    std::fs::create_dir_all(&out_dir).map_err(|e| {
        anyhow::anyhow!("cannot create output directory {}: {e}", out_dir.display())
    })?;
    // Checked before the long run: a read-only or full directory fails now.
    tempfile::tempfile_in(&out_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot write in output directory {}: {e} (choose another --keep-outputs)",
            out_dir.display()
        )
    })?;
    let opencv_built = cfg!(feature = "opencv");
    let label = |n: usize, id: &str| format!("[{}/{}] {id}", n + 1, cases.len());
    let start = |n: usize, spec: &'a CaseSpec, chooser: &mut Chooser| {
        let label = label(n, &spec.id());
        let needs_opencv = spec.overlay.is_some_and(|k| !k.available())
            || matches!(spec.sink, SinkSpec::OpenCv { .. });
        if needs_opencv && !opencv_built {
            let why = Reason::Other(Cause::NotBuilt {
                message: "this build has no OpenCV (--no-default-features)".into(),
            });
            Step::Finished(Box::new(case_run::skipped(spec, workload, why)))
        } else {
            CaseRun::start(spec, workload, chooser, options, &out_dir, label)
        }
    };
    let mut record = |n: usize, result: CaseResult| -> anyhow::Result<bool> {
        options.observer.case_finished(n, cases.len(), &result);
        let interrupted = result.is_interrupted();
        results.cases.push(result);
        results.interrupted |= interrupted;
        exports.write_all(results)?;
        Ok(interrupted)
    };
    if !options.interleave {
        for (n, spec) in cases.iter().enumerate() {
            let mut step = start(n, spec, chooser);
            let result = loop {
                match step {
                    Step::Running(case) => step = case.run_once(chooser, options, &out_dir),
                    Step::Finished(result) => break *result,
                }
            };
            if record(n, result)? {
                return Err(crate::interrupt::Interrupted.into());
            }
        }
        return Ok(());
    }
    let mut running: Vec<Option<Box<CaseRun>>> = Vec::new();
    let mut finished: Vec<Option<CaseResult>> = Vec::new();
    for (n, spec) in cases.iter().enumerate() {
        match start(n, spec, chooser) {
            Step::Running(case) => {
                running.push(Some(case));
                finished.push(None);
            }
            Step::Finished(result) => {
                running.push(None);
                finished.push(Some(*result));
            }
        }
    }
    let mut interrupted = false;
    while !interrupted && running.iter().any(Option::is_some) {
        for n in 0..cases.len() {
            let Some(case) = running[n].take() else {
                continue;
            };
            match case.run_once(chooser, options, &out_dir) {
                Step::Running(case) => running[n] = Some(case),
                Step::Finished(result) => {
                    interrupted = result.is_interrupted();
                    finished[n] = Some(*result);
                    if interrupted {
                        break;
                    }
                }
            }
        }
    }
    // Cases still running when Ctrl-C came keep the runs they finished.
    for (n, case) in running.into_iter().enumerate() {
        if let Some(case) = case {
            finished[n] = Some(case.interrupted());
        }
    }
    for (n, result) in finished.into_iter().enumerate() {
        if let Some(result) = result {
            record(n, result)?;
        }
    }
    // Every case's run i was in round i: ratios to a reference of the same rounds.
    crate::results::relative::attach(&mut results.cases);
    exports.write_all(results)?;
    if interrupted {
        return Err(crate::interrupt::Interrupted.into());
    }
    Ok(())
}
