//! The bench engine: runs every case of the matrix `runs` times (case after
//! case, or round-robin with `--interleave`), records
//! per-stage timings, GPU samples and verified outputs, and keeps the results
//! file current after every case.

pub mod case;
pub mod case_run;
pub mod command;
pub mod gpu;
pub mod gpu_cuda;
pub mod gpu_sampler;
pub mod pipeline;
pub mod plan;
pub mod progress;
pub mod quality;
pub mod realtime;
pub mod render;
pub mod run;
pub mod runner;
pub mod usage;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::encode::fallback::Chooser;
use crate::results::export::ExportManager;
use crate::results::{CaseResult, Cause, Reason, Results};
use crate::workload::Workload;
use case::{CaseSpec, SinkSpec};
use case_run::{CaseRun, Step};
use progress::Observer;

/// Where a case's verified output goes.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Keep {
    /// Nowhere: a scratch directory, removed after the bench.
    #[default]
    Nothing,
    /// Every case's output in this directory, named by the case (`--keep-outputs`).
    Dir(PathBuf),
    /// The one case's output at this path, in the container its extension
    /// names (`render -o`); the demo's XVID fallback keeps it as `.avi`.
    File(PathBuf),
}

impl Keep {
    /// The directory partial outputs are written in, beside where they go.
    fn dir(&self) -> Option<&Path> {
        match self {
            Self::Nothing => None,
            Self::Dir(dir) => Some(dir),
            Self::File(file) => Some(crate::atomic_file::parent_dir(file)),
        }
    }

    /// Where `spec`'s output is kept (`out_dir` holds the partial file).
    pub fn path_for(&self, out_dir: &Path, spec: &CaseSpec) -> PathBuf {
        match self {
            Self::File(file) => file.clone(),
            _ => out_dir.join(spec.output_file_name()),
        }
    }

    /// The partial output's extension: the container ffmpeg and OpenCV choose by.
    pub fn suffix(&self) -> String {
        match self {
            Self::File(file) => file
                .extension()
                .map_or(".mp4".into(), |e| format!(".{}", e.to_string_lossy())),
            _ => ".mp4".into(),
        }
    }
}

pub struct EngineOptions {
    pub runs: u32,
    pub warmup: u64,
    pub keep: Keep,
    pub write_timeout: Duration,
    /// Told of each run's frames and each finished case (the library never prints).
    pub observer: std::sync::Arc<dyn Observer>,
    pub gpu_sample_period: Duration,
    /// Measure PSNR/SSIM (and VMAF where available) of every ffmpeg-pipe output.
    pub quality: bool,
    pub engine: run::EngineConfig,
    /// Round-robin: every case's first run, then every case's second, … so a
    /// machine that drifts over the bench drifts under every case alike.
    pub interleave: bool,
    /// The most one run of a user's command may take (`--command-timeout`).
    pub command_timeout: Duration,
}

/// The one rule for odd sizes, for every mode's cases: a 4:2:0 pipe format
/// cannot carry an odd width or height. Checked before anything runs (the
/// CLI checks it before it writes any file; `run` again, for every caller).
pub fn check_sizes(
    cases: &[CaseSpec],
    info: &crate::results::WorkloadInfo,
) -> Result<(), crate::pixfmt::OddSize> {
    cases
        .iter()
        .filter_map(CaseSpec::pix_fmt)
        .try_for_each(|f| f.check_size(info.width, info.height))
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
    run_with(
        cases,
        workload,
        chooser,
        options,
        results,
        exports,
        runner::open_sink,
    )
}

/// `run`, with the sinks `open` gives (the case lifecycle's tests give fakes).
fn run_with<'a>(
    cases: &'a [CaseSpec],
    workload: &'a Workload,
    chooser: &mut Chooser,
    options: &EngineOptions,
    results: &mut Results,
    exports: &ExportManager,
    open: runner::OpenSink,
) -> anyhow::Result<()> {
    check_sizes(cases, &workload.info)?;
    let scratch = crate::scratch::dir("bench")?;
    let out_dir = options
        .keep
        .dir()
        .map_or_else(|| scratch.path().to_path_buf(), Path::to_path_buf);
    prepare_out_dir(&out_dir, &options.keep)?;
    let cases = Cases {
        specs: cases,
        workload,
        options,
        out_dir,
        open,
    };
    let mut record = |n: usize, result: CaseResult| -> anyhow::Result<bool> {
        options
            .observer
            .case_finished(n, cases.specs.len(), &result);
        let interrupted = result.is_interrupted();
        results.cases.push(result);
        results.interrupted |= interrupted;
        exports.write_all(results)?;
        Ok(interrupted)
    };
    let interrupted = if options.interleave {
        let interrupted = cases.round_robin(chooser, &mut record)?;
        // Every case's run i was in round i: ratios to a reference of the same rounds.
        crate::results::relative::attach(&mut results.cases);
        exports.write_all(results)?;
        interrupted
    } else {
        cases.in_order(chooser, &mut record)?
    };
    if interrupted {
        return Err(crate::interrupt::Interrupted.into());
    }
    Ok(())
}

/// The directory outputs go to, made and checked before the long run (a
/// read-only or full directory fails now); partial outputs of benches killed
/// outright (SIGKILL) there are removed.
fn prepare_out_dir(out_dir: &Path, keep: &Keep) -> anyhow::Result<()> {
    let flag = match keep {
        Keep::File(_) => "-o",
        _ => "--keep-outputs",
    };
    std::fs::create_dir_all(out_dir).map_err(|e| {
        anyhow::anyhow!("cannot create output directory {}: {e}", out_dir.display())
    })?;
    crate::scratch::sweep_dead_runs_in(out_dir);
    tempfile::tempfile_in(out_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot write in output directory {}: {e} (choose another {flag})",
            out_dir.display()
        )
    })?;
    Ok(())
}

/// Told of each finished case (its index): true when it was interrupted.
type Record<'r> = dyn FnMut(usize, CaseResult) -> anyhow::Result<bool> + 'r;

/// The cases of one bench and what each step of their lifecycle needs.
struct Cases<'a> {
    specs: &'a [CaseSpec],
    workload: &'a Workload,
    options: &'a EngineOptions,
    out_dir: PathBuf,
    open: runner::OpenSink,
}

impl<'a> Cases<'a> {
    /// A case that fails for any reason — a bug included — fails alone: a
    /// panic in its start or a run becomes its failure (keeping the runs
    /// `before` it), and the cases after it run. Unwinding drops the case (its
    /// ffmpeg killed, its partial files gone).
    fn guarded(
        &self,
        spec: &'a CaseSpec,
        before: Option<CaseResult>,
        f: &mut dyn FnMut() -> Step<'a>,
    ) -> Step<'a> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
            let mut r =
                before.unwrap_or_else(|| case_run::skipped(spec, self.workload, Reason::error("")));
            r.status = crate::results::CaseStatus::Failed;
            r.reason = Some(Reason::Other(Cause::Internal {
                message: panic_message(panic.as_ref()),
            }));
            Step::Finished(Box::new(r))
        })
    }

    /// Case `n` started: its writer chosen, its files made (or skipped where
    /// this build lacks what it needs).
    fn start(&self, n: usize, chooser: &mut Chooser) -> Step<'a> {
        let spec = &self.specs[n];
        let needs_opencv = spec.overlay.is_some_and(|k| !k.available())
            || matches!(spec.sink, SinkSpec::OpenCv { .. });
        if needs_opencv && !cfg!(feature = "opencv") {
            let why = Reason::Other(Cause::NotBuilt {
                message: "this build has no OpenCV (--no-default-features)".into(),
            });
            return Step::Finished(Box::new(case_run::skipped(spec, self.workload, why)));
        }
        let label = format!("[{}/{}] {}", n + 1, self.specs.len(), spec.id());
        let step = self.guarded(spec, None, &mut || {
            CaseRun::start(
                spec,
                self.workload,
                chooser,
                self.options,
                &self.out_dir,
                label.clone(),
            )
        });
        if let Step::Running(case) = &step {
            self.options.observer.case_started(&case.result_so_far());
        }
        step
    }

    /// One run of a running case; NVENC's limit met after its trial passed
    /// makes the chooser remember it and the case start over.
    fn step(&self, n: usize, case: Box<CaseRun<'a>>, chooser: &mut Chooser) -> Step<'a> {
        let (spec, before) = (case.spec(), case.result_so_far());
        let mut case = Some(case);
        let step = self.guarded(spec, Some(before), &mut || {
            case.take()
                .expect("run once")
                .run_once(self.options, &self.out_dir, self.open)
        });
        match step {
            Step::Retry { encoder, failure } => {
                chooser.mark_failed(&encoder, spec.settings().and_then(|s| s.gpu), failure);
                self.start(n, chooser)
            }
            step => step,
        }
    }

    /// Case after case, each to its end. True when interrupted.
    fn in_order(&self, chooser: &mut Chooser, record: &mut Record) -> anyhow::Result<bool> {
        for n in 0..self.specs.len() {
            let mut step = self.start(n, chooser);
            let result = loop {
                step = match step {
                    Step::Running(case) => self.step(n, case, chooser),
                    Step::Retry { .. } => unreachable!("a case retries only after a run"),
                    Step::Finished(result) => break *result,
                };
            };
            if record(n, result)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Every case's first run, then every case's second, …; cases still
    /// running when Ctrl-C came keep the runs they finished. True when interrupted.
    fn round_robin(&self, chooser: &mut Chooser, record: &mut Record) -> anyhow::Result<bool> {
        let mut running: Vec<Option<Box<CaseRun>>> = Vec::new();
        let mut finished: Vec<Option<CaseResult>> = Vec::new();
        for n in 0..self.specs.len() {
            let (run, done) = match self.start(n, chooser) {
                Step::Running(case) => (Some(case), None),
                Step::Finished(result) => (None, Some(*result)),
                Step::Retry { .. } => unreachable!("a case retries only after a run"),
            };
            running.push(run);
            finished.push(done);
        }
        let mut interrupted = false;
        while !interrupted && running.iter().any(Option::is_some) {
            for n in 0..self.specs.len() {
                let Some(case) = running[n].take() else {
                    continue;
                };
                match self.step(n, case, chooser) {
                    Step::Running(case) => running[n] = Some(case),
                    Step::Retry { .. } => unreachable!("step starts a retried case over"),
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
        Ok(interrupted)
    }
}

/// A caught panic's message, as the panic hook would print it.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with no message".into())
}

/// The case lifecycle with fake sinks: no ffmpeg, tiny frames, the real engine.
#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::run::EngineConfig;
    use super::run::RunContext;
    use super::*;
    use crate::encode::{FrameSink, SinkOutput};
    use crate::ffmpeg::args::EncodeSettings;
    use crate::frame::Frame;
    use crate::pixfmt::PixFmt;
    use crate::probe::fallback::Writer;
    use crate::results::failure::EncodeFailure;
    use crate::results::CaseStatus;
    use crate::results::StyleKind;
    use crate::results::{EngineKind, Mode};

    /// Takes frames, each in `delay`; fails with `fail` at frame `fail_at`, if given.
    struct Fake {
        frames: u64,
        fail_at: Option<(u64, EncodeFailure)>,
        delay: Duration,
    }

    impl FrameSink for Fake {
        fn label(&self) -> String {
            "fake".into()
        }
        fn write(&mut self, _frame: &Frame, _wire: &[u8]) -> Result<(), EncodeFailure> {
            self.frames += 1;
            std::thread::sleep(self.delay);
            match &self.fail_at {
                Some((at, failure)) if self.frames >= *at => Err(failure.clone()),
                _ => Ok(()),
            }
        }
        fn finish(self: Box<Self>) -> Result<SinkOutput, EncodeFailure> {
            Ok(SinkOutput {
                frames_done: Some(self.frames),
                ..SinkOutput::default()
            })
        }
    }

    fn fake(fail_at: Option<(u64, EncodeFailure)>) -> Result<Box<dyn FrameSink>, EncodeFailure> {
        Ok(Box::new(Fake {
            frames: 0,
            fail_at,
            delay: Duration::ZERO,
        }))
    }

    fn session_limit() -> EncodeFailure {
        EncodeFailure::SessionLimit {
            detail: "OpenEncodeSessionEx failed: incompatible client key (21)".into(),
        }
    }

    fn nvenc_case(pix_fmt: PixFmt) -> CaseSpec {
        let mut settings = EncodeSettings::guide("h264_nvenc");
        settings.pix_fmt = pix_fmt;
        CaseSpec {
            mode: Mode::Nvenc,
            overlay: Some(StyleKind::Native),
            stand_in: None,
            sink: SinkSpec::Pipe { settings },
            sessions: 1,
            gpus: Vec::new(),
        }
    }

    fn options(runs: u32, interleave: bool) -> EngineOptions {
        EngineOptions {
            runs,
            warmup: 1,
            keep: Keep::Nothing,
            write_timeout: Duration::from_secs(5),
            observer: Arc::new(progress::Silent),
            gpu_sample_period: Duration::from_secs(3600),
            quality: false,
            engine: EngineConfig::test(EngineKind::Sequential),
            interleave,
            command_timeout: Duration::from_secs(60),
        }
    }

    fn bench(
        cases: &[CaseSpec],
        chooser: &mut Chooser,
        options: &EngineOptions,
        open: runner::OpenSink,
    ) -> (Results, anyhow::Result<()>) {
        bench_on(
            &Workload::synthetic(64, 48, 30.0, 6, 2),
            cases,
            chooser,
            options,
            open,
        )
    }

    fn bench_on(
        workload: &Workload,
        cases: &[CaseSpec],
        chooser: &mut Chooser,
        options: &EngineOptions,
        open: runner::OpenSink,
    ) -> (Results, anyhow::Result<()>) {
        let mut results = Results::from_json(include_str!(
            "../../tests/fixtures/results/ci-2core-bench.json"
        ))
        .unwrap();
        results.cases.clear();
        let outcome = run_with(
            cases,
            workload,
            chooser,
            options,
            &mut results,
            &ExportManager::default(),
            open,
        );
        (results, outcome)
    }

    fn nvenc_works() -> Chooser {
        Chooser::with_trials(&[("h264_nvenc", Ok(())), ("libx264", Ok(()))], true, true)
    }

    static NVENC_OPENED: AtomicUsize = AtomicUsize::new(0);

    /// NVENC's trial passed but every real session hits the limit.
    fn nvenc_at_its_limit(
        _: &RunContext,
        _: &CaseSpec,
        writer: Option<&Writer>,
        _: Option<&EncodeSettings>,
        _: &Path,
    ) -> Result<Box<dyn FrameSink>, EncodeFailure> {
        match writer {
            Some(Writer::Ffmpeg { encoder }) if encoder == "h264_nvenc" => {
                NVENC_OPENED.fetch_add(1, Ordering::SeqCst);
                fake(Some((3, session_limit())))
            }
            _ => fake(None),
        }
    }

    #[test]
    fn a_session_limit_mid_bench_falls_back_once_and_later_cases_know() {
        for interleave in [false, true] {
            NVENC_OPENED.store(0, Ordering::SeqCst);
            let cases = [nvenc_case(PixFmt::Bgr24), nvenc_case(PixFmt::Yuv420p)];
            let mut chooser = nvenc_works();
            let (results, outcome) = bench(
                &cases,
                &mut chooser,
                &options(2, interleave),
                nvenc_at_its_limit,
            );
            outcome.unwrap();
            assert_eq!(results.cases.len(), 2);
            for case in &results.cases {
                assert_eq!(
                    case.status,
                    CaseStatus::Ok,
                    "{interleave}: {:?}",
                    case.reason
                );
                assert_eq!(case.encoder.used.as_deref(), Some("libx264"));
                let fallback = case.encoder.fallback.as_ref().expect("a fallback");
                assert_eq!(fallback.from, "h264_nvenc");
                assert_eq!(fallback.cause.kind(), "session_limit");
                // Every run of the case is the fallback's, none of NVENC's failed one.
                assert_eq!(case.runs.len(), 2);
                assert!(case.runs.iter().all(|r| r.fps > 0.0));
                assert_eq!(
                    case.preset.used,
                    EncodeSettings::guide("h264_nvenc")
                        .for_encoder("libx264")
                        .preset
                );
            }
            // One after another, the second case never tries NVENC: the chooser
            // remembers. Round-robin resolves every case before the first run, so
            // each finds the limit once itself.
            let tries = if interleave { 2 } else { 1 };
            assert_eq!(NVENC_OPENED.load(Ordering::SeqCst), tries, "{interleave}");
        }
    }

    /// The first case's second run panics (a bug): that case fails with its
    /// cause and keeps its first run; the case after it still runs. Both ways.
    #[test]
    fn a_panicking_case_fails_alone_and_the_cases_after_it_run() {
        static OPENED: AtomicUsize = AtomicUsize::new(0);
        for interleave in [false, true] {
            OPENED.store(0, Ordering::SeqCst);
            let cases = [nvenc_case(PixFmt::Bgr24), nvenc_case(PixFmt::Yuv420p)];
            let mut chooser = nvenc_works();
            let (results, outcome) = bench(
                &cases,
                &mut chooser,
                &options(2, interleave),
                |_, spec, _, _, _| {
                    let n = OPENED.fetch_add(1, Ordering::SeqCst);
                    let second_run_of_first = if spec.pix_fmt() == Some(PixFmt::Bgr24) {
                        n >= 1
                    } else {
                        false
                    };
                    if second_run_of_first {
                        panic!("a planted bug");
                    }
                    fake(None)
                },
            );
            outcome.unwrap();
            assert_eq!(results.cases.len(), 2, "{interleave}");
            let (first, second) = (&results.cases[0], &results.cases[1]);
            assert_eq!(first.status, CaseStatus::Failed, "{interleave}");
            let reason = first.reason.as_ref().unwrap();
            assert_eq!(reason.cause(), "internal_error");
            assert!(reason.to_string().contains("a planted bug"), "{reason}");
            assert_eq!(
                first.runs.len(),
                1,
                "{interleave}: the run before it is kept"
            );
            assert_eq!(
                second.status,
                CaseStatus::Ok,
                "{interleave}: {:?}",
                second.reason
            );
            assert_eq!(second.runs.len(), 2);
        }
    }

    /// The one odd-size rule: a 4:2:0 case on an odd size stops the bench
    /// before anything runs, whatever the mode.
    #[test]
    fn odd_sizes_in_4_2_0_are_refused_before_any_run() {
        let cases = [nvenc_case(PixFmt::Bgr24), nvenc_case(PixFmt::Nv12)];
        let workload = Workload::synthetic(17, 17, 30.0, 2, 1);
        let (results, outcome) = bench_on(
            &workload,
            &cases,
            &mut nvenc_works(),
            &options(1, false),
            |_, _, _, _, _| panic!("no sink may open"),
        );
        let err = outcome.unwrap_err().to_string();
        assert!(err.contains("nv12") && err.contains("17x17"), "{err}");
        assert!(results.cases.is_empty());
    }

    /// Like `nvenc_at_its_limit`, but the fallback is refused.
    #[test]
    fn a_session_limit_without_fallback_fails_the_case_with_its_cause() {
        let cases = [nvenc_case(PixFmt::Bgr24)];
        let mut chooser =
            Chooser::with_trials(&[("h264_nvenc", Ok(())), ("libx264", Ok(()))], true, false);
        let (results, outcome) =
            bench(&cases, &mut chooser, &options(2, false), |_, _, _, _, _| {
                fake(Some((2, session_limit())))
            });
        outcome.unwrap();
        let case = &results.cases[0];
        assert_eq!(case.status, CaseStatus::Failed);
        assert_eq!(
            case.reason.as_ref().map(|r| r.cause()),
            Some("session_limit")
        );
        assert!(case.encoder.fallback.is_none());
    }

    static OPENED: AtomicUsize = AtomicUsize::new(0);

    /// The fifth sink opened sees Ctrl-C: case 2's second run in round-robin.
    fn ctrl_c_at_the_fifth_run(
        _: &RunContext,
        _: &CaseSpec,
        _: Option<&Writer>,
        _: Option<&EncodeSettings>,
        _: &Path,
    ) -> Result<Box<dyn FrameSink>, EncodeFailure> {
        let n = OPENED.fetch_add(1, Ordering::SeqCst) + 1;
        fake((n == 5).then_some((2, EncodeFailure::Interrupted)))
    }

    #[test]
    fn ctrl_c_in_round_robin_keeps_every_run_already_measured() {
        OPENED.store(0, Ordering::SeqCst);
        let cases = [
            nvenc_case(PixFmt::Bgr24),
            nvenc_case(PixFmt::Yuv420p),
            nvenc_case(PixFmt::Nv12),
        ];
        let mut chooser = nvenc_works();
        let (results, outcome) = bench(
            &cases,
            &mut chooser,
            &options(3, true),
            ctrl_c_at_the_fifth_run,
        );
        let error = outcome.unwrap_err();
        assert!(error.is::<crate::interrupt::Interrupted>(), "{error:#}");
        assert!(results.interrupted);
        // Round 1 ran all three; round 2 ran case 1, then case 2 was stopped.
        let runs: Vec<usize> = results.cases.iter().map(|c| c.runs.len()).collect();
        assert_eq!(runs, [2, 1, 1]);
        for case in &results.cases {
            assert_eq!(case.status, CaseStatus::Failed);
            assert!(case.reason.as_ref().is_some_and(|r| r.is_interrupted()));
            // What was measured is summarized, not dropped.
            assert!(case.fps.is_some());
        }
        // No run was started after the stop.
        assert_eq!(OPENED.load(Ordering::SeqCst), 5);
    }

    /// A writer that takes 160 ms a frame: three intervals at 20 fps.
    fn slow_writer(
        _: &RunContext,
        _: &CaseSpec,
        _: Option<&Writer>,
        _: Option<&EncodeSettings>,
        _: &Path,
    ) -> Result<Box<dyn FrameSink>, EncodeFailure> {
        Ok(Box::new(Fake {
            frames: 0,
            fail_at: None,
            delay: Duration::from_millis(160),
        }))
    }

    #[test]
    fn realtime_counts_no_drop_when_it_keeps_up_and_drops_behind_a_slow_writer() {
        // 6 frames at 20 fps: the source lasts 300 ms.
        let workload = Workload::synthetic(64, 48, 20.0, 6, 2);
        let mut options = options(1, false);
        options.engine.realtime = true;
        let cases = [nvenc_case(PixFmt::Bgr24)];
        let run = |open| {
            let (results, outcome) =
                bench_on(&workload, &cases, &mut nvenc_works(), &options, open);
            outcome.unwrap();
            let case = &results.cases[0];
            assert_eq!(case.status, CaseStatus::Ok, "{:?}", case.reason);
            case.runs[0]
                .realtime
                .clone()
                .expect("a realtime run says how it kept up")
        };
        let easy = run(|_, _, _, _, _| fake(None));
        assert_eq!(
            (easy.offered, easy.written, easy.dropped),
            (6, 6, 0),
            "{easy:?}"
        );
        let slow = run(slow_writer);
        assert_eq!(slow.written + slow.dropped, 6, "{slow:?}");
        // Each write spans three intervals: at least two newer frames arrive
        // meanwhile (but for the last take, where the source ends).
        assert!(
            slow.dropped >= 2 * (slow.written - 2) && slow.dropped > 0,
            "{slow:?}"
        );
        assert_eq!(slow.late, slow.written, "{slow:?}");
        assert!(slow.latency_ms.p50 >= 160.0, "{slow:?}");
    }

    /// Writes where the demo's OpenCV fallback writes when mp4v will not open:
    /// beside the output, as `.avi`, and says so — a real AVI (OpenCV's own
    /// MJPG writer, no ffmpeg), so that with no ffmpeg OpenCV reads it back.
    struct XvidBeside {
        avi: std::path::PathBuf,
        #[cfg(feature = "opencv")]
        writer: crate::encode::opencv_writer::OpenCvWriterSink,
    }

    impl FrameSink for XvidBeside {
        fn label(&self) -> String {
            "opencv:XVID".into()
        }
        #[allow(unused_variables)]
        fn write(&mut self, frame: &Frame, wire: &[u8]) -> Result<(), EncodeFailure> {
            #[cfg(feature = "opencv")]
            self.writer.write(frame, wire)?;
            Ok(())
        }
        fn finish(self: Box<Self>) -> Result<SinkOutput, EncodeFailure> {
            #[cfg(feature = "opencv")]
            Box::new(self.writer).finish()?;
            #[cfg(not(feature = "opencv"))]
            std::fs::write(&self.avi, b"RIFF").unwrap();
            Ok(SinkOutput {
                path: Some(self.avi.clone()),
                writer: Some("opencv-XVID".into()),
                ..SinkOutput::default()
            })
        }
    }

    fn xvid_beside(
        #[allow(unused_variables)] ctx: &RunContext,
        _: &CaseSpec,
        _: Option<&Writer>,
        _: Option<&EncodeSettings>,
        output: &Path,
    ) -> Result<Box<dyn FrameSink>, EncodeFailure> {
        let avi = output.with_extension("avi");
        Ok(Box::new(XvidBeside {
            #[cfg(feature = "opencv")]
            writer: crate::encode::opencv_writer::OpenCvWriterSink::open(
                &avi,
                "MJPG",
                ctx.workload.info.fps,
                ctx.workload.info.width,
                ctx.workload.info.height,
            )?,
            avi,
        }))
    }

    #[test]
    fn a_sink_that_wrote_elsewhere_is_kept_under_its_container_and_writer() {
        let keep = tempfile::tempdir().unwrap();
        let mut options = options(2, false);
        options.keep = Keep::Dir(keep.path().to_path_buf());
        let cases = [nvenc_case(PixFmt::Bgr24)];
        // Nothing but OpenCV's writer is left for the nvenc mode.
        let mut chooser = Chooser::with_trials(
            &[
                ("h264_nvenc", Err(session_limit())),
                ("libx264", Err(session_limit())),
            ],
            true,
            true,
        );
        let (results, outcome) = bench(&cases, &mut chooser, &options, xvid_beside);
        outcome.unwrap();
        let case = &results.cases[0];
        if !cfg!(feature = "opencv") {
            // No ffmpeg and no OpenCV to read it back: not verified, not kept.
            assert_eq!(case.status, CaseStatus::Failed, "{:?}", case.reason);
            assert_eq!(std::fs::read_dir(keep.path()).unwrap().count(), 0);
            return;
        }
        assert_eq!(case.status, CaseStatus::Ok, "{:?}", case.reason);
        // With no ffmpeg, OpenCV read every frame back.
        assert!(case.verified.is_some(), "{case:?}");
        assert_eq!(case.encoder.used.as_deref(), Some("opencv-XVID"));
        let kept: Vec<String> = std::fs::read_dir(keep.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        // The .avi under the case's name; no temporary .mp4 left behind.
        assert_eq!(kept, [cases[0].output_file_name().replace(".mp4", ".avi")]);
    }
}
