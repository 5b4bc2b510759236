//! The pipelined engine: input → overlay workers → in-order writer, each on its
//! own thread, joined by bounded channels and fed from a fixed pool of frame
//! buffers. Memory is the pool, whatever the frame count; a stalled encoder
//! stalls the pool, never grows it. Overlay and the pipe's pixel conversion are
//! split across workers by bands of rows where the style can draw a band alone
//! (native; conversion always), else by whole frames (Pillow, OpenCV). Either
//! way every byte is the sequential engine's: tested below.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::case::CaseSpec;
use super::progress::Progress;
use super::run::{RunContext, RunError, RunOutcome, Timing};
use crate::encode::FrameSink;
use crate::frame::Frame;
use crate::overlay::layout::FrameLayout;
use crate::overlay::{Overlay, RowOverlay};
use crate::pixfmt::PixFmt;
use anyhow::Context;

use crate::results::decode::DecodeRun;
/// Pipelined is the default on every machine: with its threads yielding to
/// ffmpeg's it beats the sequential loop even on 2 cores (lab/perf/ci-2core-run2).
use crate::results::Split;
use crate::workload::FrameReader;

/// One reusable buffer: the BGR frame and its bytes in the pipe's format.
struct Slot {
    index: u64,
    frame: Frame,
    wire: Vec<u8>,
}

/// Busy time per stage in nanoseconds, timed frames only, summed over workers.
#[derive(Default)]
struct StageClock {
    input: AtomicU64,
    overlay: AtomicU64,
    conversion: AtomicU64,
}

fn add(counter: &AtomicU64, d: Duration) {
    counter.fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
}

fn secs(counter: &AtomicU64) -> f64 {
    counter.load(Ordering::Relaxed) as f64 / 1e9
}

type Item = Result<Slot, anyhow::Error>;

/// One timed pass over the workload through the threaded stages.
pub fn run_frames(
    ctx: &RunContext,
    spec: &CaseSpec,
    open: impl FnOnce() -> Result<Box<dyn FrameSink>, RunError>,
    progress: &Progress,
) -> Result<RunOutcome, RunError> {
    let (mut reader, mut sink) = start(ctx, open)?;
    let info = &ctx.workload.info;
    let config = ctx.engine;
    // A fed input ends when its sender does: no count to reach.
    let total = if ctx.workload.open_ended() {
        u64::MAX
    } else {
        ctx.warmup + info.frames
    };
    let pix_fmt = sink.pix_fmt();
    let new_overlay = || {
        spec.overlay
            .map(|k| Overlay::for_workload(k, info))
            .transpose()
    };
    let mut overlays = vec![new_overlay()?];
    let split = choose_split(config.workers, overlays[0].as_mut());
    let rows_pool = match split {
        Split::Rows => Some(rows_pool(config.workers, config.worker_nice)?),
        Split::Frames => {
            for _ in 1..config.workers.max(1) {
                overlays.push(new_overlay()?);
            }
            None
        }
    };
    let band_height = band_height(info.height, config.workers);

    // Buffers the pipe may still be reading (vmsplice) are out of the pool
    // until it has: the pool grows by that many, and stays fixed.
    let pool_size = config.pool_size(overlays.len()) + sink.held();
    let (free_tx, free_rx) = sync_channel::<Slot>(pool_size);
    for _ in 0..pool_size {
        let mut frame = Frame::new(info.width, info.height);
        reader.prepare(&mut frame);
        let slot = Slot {
            index: 0,
            frame,
            // bgr24 goes out as the frame itself: no second buffer.
            wire: match pix_fmt {
                PixFmt::Bgr24 => Vec::new(),
                f => Vec::with_capacity(f.frame_bytes(info.width, info.height)),
            },
        };
        free_tx
            .send(slot)
            .expect("the pool channel holds the whole pool");
    }
    let (work_tx, work_rx) = sync_channel::<Item>(config.queue_depth.max(1));
    let (done_tx, done_rx) = sync_channel::<Item>(config.queue_depth.max(1));
    // Owned by the workers only: when the last one stops, the input's sends fail.
    let work_rx = Arc::new(Mutex::new(work_rx));
    let clock = StageClock::default();
    let timing = Timing::start();

    std::thread::scope(|scope| {
        let (clock, rows_pool) = (&clock, &rows_pool);
        let input = scope.spawn(move || {
            lower_priority(config.worker_nice);
            read_frames(ctx, reader, total, free_rx, work_tx, clock)
        });
        for mut overlay in overlays {
            let (work_rx, done_tx) = (Arc::clone(&work_rx), done_tx.clone());
            scope.spawn(move || {
                lower_priority(config.worker_nice);
                loop {
                    let next = work_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok(item)) = next else { return };
                    let item = item.and_then(|mut slot| {
                        // The embedded tracks are computed per frame: only where drawn.
                        let persons = match overlay {
                            Some(_) => ctx.workload.detections.persons(slot.index),
                            None => std::borrow::Cow::Borrowed(&[][..]),
                        };
                        let stage = Stage {
                            persons,
                            pix_fmt,
                            timed: slot.index >= ctx.warmup,
                            clock,
                        };
                        match &rows_pool {
                            Some(pool) => {
                                stage.by_rows(pool, overlay.as_mut(), &mut slot, band_height)
                            }
                            None => stage.whole(overlay.as_mut(), &mut slot)?,
                        }
                        Ok(slot)
                    });
                    if done_tx.send(item).is_err() {
                        return;
                    }
                }
            });
        }
        drop((work_rx, done_tx));
        // The writer is this thread; returning drops its channel ends, which
        // unblocks and ends every other stage.
        let written = write_in_order(ctx, &mut *sink, total, done_rx, free_tx, progress, timing);
        // The clock stops when the sink has finished, before the input's
        // teardown (a decoder closed is not a frame made), as it starts
        // after the input's start-up.
        let outcome =
            written.and_then(|(timing, written)| finish(ctx, sink, timing, clock, written));
        // The reader ends when its last frame is sent or its channel closes.
        let decode = input.join().ok().flatten();
        outcome.map(|mut outcome| {
            outcome.result.split = Some(split);
            outcome.result.decode = decode;
            outcome
        })
    })
}

/// A run's start, before its clock: the input started and its first frame
/// ready ([`FrameReader::ready`]), then the sink opened. So
/// no input's start-up is in the clock, and the sink's own start is in it
/// alike for every input (a run times frames, not start-ups).
pub(super) fn start<'a>(
    ctx: &'a RunContext,
    open: impl FnOnce() -> Result<Box<dyn FrameSink>, RunError>,
) -> Result<(FrameReader<'a>, Box<dyn FrameSink>), RunError> {
    let mut reader = ctx.workload.reader().map_err(RunError::Other)?;
    let sink = reader
        .ready()
        .map_err(RunError::Other)
        .and_then(|()| open());
    match sink {
        Ok(sink) => Ok((reader, sink)),
        Err(e) => {
            reader.finish();
            Err(e)
        }
    }
}

/// The sink finished (the encoder's flush and the file's trailer are the
/// run's), the clock stopped, the stages' times per frame.
fn finish(
    ctx: &RunContext,
    sink: Box<dyn FrameSink>,
    mut timing: Timing,
    clock: &StageClock,
    written: u64,
) -> Result<RunOutcome, RunError> {
    let t = Instant::now();
    let output = sink.finish()?;
    timing.stages.finalize = t.elapsed().as_secs_f64();
    timing.stages.input = secs(&clock.input);
    timing.stages.overlay = secs(&clock.overlay);
    timing.stages.conversion = secs(&clock.conversion);
    let fed = ctx.workload.open_ended().then_some(written);
    let mut outcome = timing.outcome(fed.unwrap_or(ctx.workload.info.frames), output);
    outcome.result.fed_frames = fed;
    Ok(outcome)
}

/// How the overlay stage spreads a frame's work over its workers: rows where the style can draw a band alone and there are several workers.
fn choose_split(workers: usize, overlay: Option<&mut Overlay>) -> Split {
    let by_rows = overlay.map_or(true, |o| o.style.by_rows().is_some());
    if workers > 1 && by_rows {
        Split::Rows
    } else {
        Split::Frames
    }
}

/// The overlay stage's workers for `Split::Rows`, at the engine's niceness.
pub fn rows_pool(workers: usize, nice: i32) -> anyhow::Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .thread_name(|i| format!("nvviz-rows-{i}"))
        .start_handler(move |_| lower_priority(nice))
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the overlay workers: {e}"))
}

/// Rows per band: four bands a worker, so a band heavy with boxes is evened out
/// by the others; even, as yuv420p's chroma rows cover two frame rows.
pub fn band_height(height: u32, workers: usize) -> u32 {
    let bands = (4 * workers.max(1)) as u32;
    let rows = height.div_ceil(bands).max(2);
    rows + rows % 2
}

/// One frame's overlay and conversion, timed into the stage clock.
struct Stage<'a> {
    persons: std::borrow::Cow<'a, [crate::workload::detections::Person]>,
    pix_fmt: PixFmt,
    timed: bool,
    clock: &'a StageClock,
}

impl Stage<'_> {
    fn record(&self, overlay: Duration, conversion: Duration) {
        if self.timed {
            add(&self.clock.overlay, overlay);
            add(&self.clock.conversion, conversion);
        }
    }

    /// The frame drawn and converted by this thread alone.
    fn whole(&self, overlay: Option<&mut Overlay>, slot: &mut Slot) -> anyhow::Result<()> {
        let t = Instant::now();
        let inner = match overlay {
            Some(o) => o
                .draw(&mut slot.frame, slot.index, &self.persons)
                .with_context(|| format!("frame {}", slot.index))?,
            None => Duration::ZERO,
        };
        let t_convert = Instant::now();
        if self.pix_fmt != PixFmt::Bgr24 {
            self.pix_fmt.convert(&slot.frame, &mut slot.wire);
        }
        self.record(t_convert - t - inner, inner + t_convert.elapsed());
        Ok(())
    }

    /// The frame cut into bands, each drawn then converted by whichever worker takes it.
    fn by_rows(
        &self,
        pool: &rayon::ThreadPool,
        overlay: Option<&mut Overlay>,
        slot: &mut Slot,
        band_height: u32,
    ) {
        let t = Instant::now();
        let prepared = overlay.map(|o| {
            o.prepare_rows(slot.index, &self.persons)
                .expect("choose_split checked the style")
        });
        self.record(t.elapsed(), Duration::ZERO);
        let drawing = prepared.as_ref().map(|(style, layout)| (*style, layout));
        draw_by_rows(
            pool,
            drawing,
            &mut slot.frame,
            self.pix_fmt,
            &mut slot.wire,
            band_height,
            |overlay, conversion| self.record(overlay, conversion),
        );
    }
}

/// Draws a prepared layout on `frame` and converts it into `wire` (unless the
/// pipe takes bgr24), band by band across `pool`, each band converted while it
/// is still in cache. `on_band` gets each band's drawing and conversion time.
pub fn draw_by_rows(
    pool: &rayon::ThreadPool,
    drawing: Option<(&dyn RowOverlay, &FrameLayout)>,
    frame: &mut Frame,
    pix_fmt: PixFmt,
    wire: &mut Vec<u8>,
    band_height: u32,
    on_band: impl Fn(Duration, Duration) + Sync,
) {
    use rayon::prelude::*;
    let (width, height) = (frame.width, frame.height);
    let wire_bands = match pix_fmt {
        PixFmt::Bgr24 => Vec::new(),
        f => f.wire_bands(wire, width, height, band_height),
    };
    // bgr24 goes out as the frame itself: its bands have no wire part.
    let wire_parts = wire_bands
        .into_iter()
        .map(Some)
        .chain(std::iter::repeat_with(|| None));
    let parts: Vec<_> = frame.bands(band_height).zip(wire_parts).collect();
    pool.install(|| {
        parts.into_par_iter().for_each(|(mut rows, wire)| {
            let t = Instant::now();
            if let Some((style, layout)) = drawing {
                style.draw_rows(&mut rows, layout);
            }
            let t_convert = Instant::now();
            if let Some(wire) = wire {
                pix_fmt.convert_rows(rows.data, width, wire);
            }
            on_band(t_convert - t, t_convert.elapsed());
        })
    });
}

/// Lowers this thread's scheduling priority (Linux: niceness is per thread). On 2
/// cores a CPU encoder's main thread is the critical path; an overlay worker that
/// preempts it slows the whole run (lab/perf/ci-2core).
fn lower_priority(nice: i32) {
    if nice > 0 {
        // SAFETY: plain syscalls on the calling thread; a failure only leaves the priority as it was.
        unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, nice) };
    }
}

/// Reads the frames into the pool's buffers; an ffmpeg decoder's cost at the end.
fn read_frames(
    ctx: &RunContext,
    mut reader: FrameReader<'_>,
    total: u64,
    free: Receiver<Slot>,
    work: SyncSender<Item>,
    clock: &StageClock,
) -> Option<DecodeRun> {
    read_all(ctx, &mut reader, total, &free, &work, clock);
    let decode = reader.finish();
    // Before the pool's buffers it may have page-locked can go.
    drop(reader);
    decode
}

fn read_all(
    ctx: &RunContext,
    reader: &mut FrameReader<'_>,
    total: u64,
    free: &Receiver<Slot>,
    work: &SyncSender<Item>,
    clock: &StageClock,
) {
    for index in 0..total {
        // Blocks while every buffer is in use: this is what bounds memory.
        let Ok(mut slot) = free.recv() else {
            return;
        };
        let t = Instant::now();
        let item = match reader.read_into(&mut slot.frame) {
            Ok(true) => {
                if index >= ctx.warmup {
                    add(&clock.input, t.elapsed());
                }
                slot.index = index;
                Ok(slot)
            }
            // A fed input's end: the channels close behind it.
            Ok(false) if ctx.workload.open_ended() => return,
            Ok(false) => Err(anyhow::anyhow!(
                "the input ended after {index} frames; ask for fewer with --frames"
            )),
            Err(e) => Err(e),
        };
        let stop = item.is_err();
        if work.send(item).is_err() || stop {
            return;
        }
    }
}

fn write_in_order(
    ctx: &RunContext,
    sink: &mut dyn FrameSink,
    total: u64,
    done: Receiver<Item>,
    free: SyncSender<Slot>,
    progress: &Progress,
    mut timing: Timing,
) -> Result<(Timing, u64), RunError> {
    // Workers finish out of order; frames wait here (never more than the pool) for their turn.
    let mut waiting: BTreeMap<u64, Slot> = BTreeMap::new();
    // Written frames the reader may still see (vmsplice'd pages): back to the
    // pool only when newer ones have pushed them out of the pipe.
    let mut in_pipe: std::collections::VecDeque<Slot> = std::collections::VecDeque::new();
    let mut next = 0;
    while next < total {
        if crate::interrupt::requested() {
            return Err(RunError::Interrupted);
        }
        if ctx.workload.detections.abandoned() {
            return Err(RunError::Other(anyhow::anyhow!(
                "the visualizer was abandoned before close() (an exception in the caller's loop, or the interpreter exiting): the partial video is removed"
            )));
        }
        let Some(slot) = waiting.remove(&next) else {
            match done.recv() {
                Ok(Ok(slot)) => {
                    waiting.insert(slot.index, slot);
                }
                Ok(Err(e)) => return Err(RunError::Other(e)),
                // Every stage ended behind a fed input's last frame.
                Err(_) if ctx.workload.open_ended() && waiting.is_empty() => break,
                Err(_) => {
                    return Err(RunError::Other(anyhow::anyhow!(
                        "the frame pipeline stopped after {next} frames"
                    )))
                }
            }
            continue;
        };
        if next == ctx.warmup {
            timing.restart();
        }
        let t = Instant::now();
        let wire = if sink.pix_fmt() == PixFmt::Bgr24 {
            &slot.frame.data
        } else {
            &slot.wire
        };
        sink.write(&slot.frame, wire)?;
        if next >= ctx.warmup {
            timing.stages.write += t.elapsed().as_secs_f64();
        }
        progress.frame();
        next += 1;
        in_pipe.push_back(slot);
        while in_pipe.len() > sink.held() {
            let consumed = in_pipe.pop_front().expect("longer than held");
            // The input may have stopped (all frames read): a closed pool is fine.
            let _ = free.send(consumed);
        }
    }
    Ok((timing, next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::case::SinkSpec;
    use crate::bench::run::EngineConfig;
    use crate::encode::SinkOutput;
    use crate::results::failure::EncodeFailure;
    use crate::results::StyleKind;
    use crate::results::{EngineKind, Mode};
    use crate::workload::Workload;
    use std::collections::BTreeSet;
    use std::sync::atomic::AtomicUsize;

    /// Keeps a digest of every frame and the buffers it was handed.
    #[derive(Clone, Default)]
    struct Recorder {
        digests: Arc<Mutex<Vec<u64>>>,
        buffers: Arc<Mutex<BTreeSet<usize>>>,
        delay: Duration,
        pix_fmt: PixFmt,
        writes: Arc<AtomicUsize>,
    }

    impl FrameSink for Recorder {
        fn label(&self) -> String {
            "recorder".into()
        }
        fn pix_fmt(&self) -> PixFmt {
            self.pix_fmt
        }
        fn write(&mut self, frame: &Frame, wire: &[u8]) -> Result<(), EncodeFailure> {
            use std::hash::{Hash, Hasher};
            std::thread::sleep(self.delay);
            let mut h = std::collections::hash_map::DefaultHasher::new();
            wire.hash(&mut h);
            self.digests.lock().unwrap().push(h.finish());
            self.buffers
                .lock()
                .unwrap()
                .insert(frame.data.as_ptr() as usize);
            self.writes.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
        fn finish(self: Box<Self>) -> Result<SinkOutput, EncodeFailure> {
            Ok(SinkOutput::default())
        }
    }

    /// A case of `mode` drawing `overlay` into the test's own sink.
    fn null_spec(mode: Mode, overlay: Option<StyleKind>) -> CaseSpec {
        CaseSpec {
            mode,
            overlay,
            stand_in: None,
            sink: SinkSpec::Null,
            sessions: 1,
            gpus: Vec::new(),
        }
    }

    fn run(
        workload: &Workload,
        kind: EngineKind,
        workers: usize,
        depth: usize,
        sink: Recorder,
        overlay: StyleKind,
    ) -> Option<crate::results::Split> {
        let ctx = RunContext {
            workload,
            ffmpeg: None,
            warmup: 2,
            write_timeout: Duration::from_secs(5),
            engine: EngineConfig {
                queue_depth: depth,
                workers,
                ..EngineConfig::test(kind)
            },
            gpu: None,
        };
        let spec = null_spec(Mode::OverlayOnly, Some(overlay));
        let progress = Progress::silent();
        super::super::runner::run_frames(&ctx, &spec, || Ok(Box::new(sink)), &progress)
            .unwrap()
            .result
            .split
    }

    #[test]
    fn threaded_overlay_and_conversion_match_the_sequential_engine_pixel_for_pixel() {
        let workload = Workload::synthetic(160, 90, 30.0, 30, 6);
        for style in [StyleKind::Native, StyleKind::Pillow] {
            for pix_fmt in PixFmt::ALL {
                let digests = |kind, workers| {
                    let sink = Recorder {
                        pix_fmt,
                        ..Recorder::default()
                    };
                    let split = run(&workload, kind, workers, 2, sink.clone(), style);
                    let d = sink.digests.lock().unwrap().clone();
                    (d, split)
                };
                let (sequential, split) = digests(EngineKind::Sequential, 1);
                assert_eq!(sequential.len(), 32);
                assert_eq!(split, None);
                for workers in [1, 2, 3, 5] {
                    let (threaded, split) = digests(EngineKind::Pipelined, workers);
                    // Native is cut into bands of rows (90 rows: 12, 8 and 6 a band, the last shorter).
                    let expected = match (style, workers) {
                        (StyleKind::Native, 2..) => "rows",
                        _ => "frames",
                    };
                    assert_eq!(
                        split.map(|s| s.name()),
                        Some(expected),
                        "{style:?} {workers}"
                    );
                    assert_eq!(
                        threaded, sequential,
                        "{style:?} {pix_fmt:?} with {workers} workers"
                    );
                }
            }
        }
    }

    /// The bytes that crossed a real pipe into ffmpeg (`-c:v copy`, written raw),
    /// cut into frames.
    fn crossed_the_pipe(
        ffmpeg: &std::path::Path,
        workload: &Workload,
        kind: EngineKind,
        pix_fmt: PixFmt,
        pipe: crate::results::PipeOptions,
    ) -> Vec<u64> {
        use crate::encode::ffmpeg_pipe::FfmpegPipeSink;
        use std::hash::{Hash, Hasher};
        let info = &workload.info;
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("crossed.raw");
        let input = crate::ffmpeg::args::RawInput::new(info.width, info.height, info.fps, pix_fmt);
        let sink = FfmpegPipeSink::spawn_copy(ffmpeg, &input, &raw, Duration::from_secs(30), pipe)
            .unwrap();
        assert_eq!(sink.pipe().write, pipe.write);
        let ctx = RunContext {
            workload,
            ffmpeg: Some(ffmpeg),
            warmup: 2,
            write_timeout: Duration::from_secs(30),
            engine: EngineConfig {
                workers: 3,
                pipe,
                ..EngineConfig::test(kind)
            },
            gpu: None,
        };
        let spec = null_spec(Mode::Native, Some(StyleKind::Native));
        let progress = Progress::silent();
        super::super::runner::run_frames(&ctx, &spec, || Ok(Box::new(sink)), &progress).unwrap();
        let bytes = std::fs::read(&raw).unwrap();
        let frame = pix_fmt.frame_bytes(info.width, info.height);
        assert_eq!(bytes.len() % frame, 0);
        bytes
            .chunks(frame)
            .map(|f| {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                f.hash(&mut h);
                h.finish()
            })
            .collect()
    }

    /// A vmsplice'd buffer is never rewritten while the reader can still see
    /// it: distinct frames (moving boxes) through a real pipe to ffmpeg, with a
    /// pipe of one frame and a pool of few buffers so that reuse comes early,
    /// arrive byte for byte as the sequential engine made them, in every
    /// format, with either write method and engine.
    #[test]
    fn every_frame_crosses_a_real_pipe_intact() {
        use crate::results::{FfmpegHeap, PipeOptions, PipeSize, PipeWrite};
        let Ok(ffmpeg) = crate::ffmpeg::locate::locate(None) else {
            panic!("this test needs ffmpeg (scripts/install-deps.sh installs it)");
        };
        let workload = Workload::synthetic(320, 180, 30.0, 60, 8);
        for pix_fmt in PixFmt::ALL {
            let sink = Recorder {
                pix_fmt,
                ..Recorder::default()
            };
            run(
                &workload,
                EngineKind::Sequential,
                1,
                1,
                sink.clone(),
                StyleKind::Native,
            );
            let made = sink.digests.lock().unwrap().clone();
            assert_eq!(made.len(), 62);
            for kind in [EngineKind::Pipelined, EngineKind::Sequential] {
                // Each ffmpeg heap once: the allocator must not change a byte.
                for (write, heap) in [
                    (PipeWrite::Vmsplice, FfmpegHeap::Fixed),
                    (PipeWrite::Write, FfmpegHeap::Glibc),
                ] {
                    let pipe = PipeOptions {
                        write,
                        size: PipeSize::Frames(1),
                        heap,
                    };
                    let crossed = crossed_the_pipe(&ffmpeg.path, &workload, kind, pix_fmt, pipe);
                    assert!(crossed == made, "{pix_fmt:?} {kind:?} {write:?}");
                }
            }
        }
    }

    #[test]
    fn bands_are_even_and_cover_the_frame() {
        for (height, workers) in [(1080, 8), (90, 3), (16, 8), (2, 1), (8192, 64)] {
            let band = band_height(height, workers);
            assert_eq!(band % 2, 0);
            assert!(
                band >= 2 && band * (4 * workers as u32) >= height,
                "{height} {workers}"
            );
        }
    }

    #[test]
    fn a_stalled_encoder_never_grows_the_pool() {
        let workload = Workload::synthetic(64, 48, 30.0, 120, 3);
        let sink = Recorder {
            delay: Duration::from_millis(2),
            ..Recorder::default()
        };
        let config = EngineConfig {
            queue_depth: 2,
            workers: 3,
            ..EngineConfig::test(EngineKind::Pipelined)
        };
        run(
            &workload,
            config.kind,
            3,
            2,
            sink.clone(),
            StyleKind::Native,
        );
        assert_eq!(sink.writes.load(Ordering::Relaxed), 122);
        // Every frame went through one of the pool's buffers; none was allocated per frame.
        let buffers = sink.buffers.lock().unwrap().len();
        // Native with 3 workers splits rows: one stage thread.
        assert!(
            buffers <= config.pool_size(1),
            "{buffers} buffers for a pool of {}",
            config.pool_size(1)
        );
    }

    #[test]
    fn a_failing_writer_stops_every_stage() {
        let workload = Workload::synthetic(64, 48, 30.0, 10, 1);
        let ctx = RunContext {
            workload: &workload,
            ffmpeg: None,
            warmup: 0,
            write_timeout: Duration::from_secs(5),
            engine: EngineConfig {
                workers: 2,
                worker_nice: 10,
                ..EngineConfig::test(EngineKind::Pipelined)
            },
            gpu: None,
        };
        // A writer that fails at once: every stage must stop and the call return.
        struct Failing;
        impl FrameSink for Failing {
            fn label(&self) -> String {
                "failing".into()
            }
            fn write(&mut self, _: &Frame, _: &[u8]) -> Result<(), EncodeFailure> {
                Err(EncodeFailure::BrokenPipe {
                    frames_written: 0,
                    last_lines: vec![],
                })
            }
            fn finish(self: Box<Self>) -> Result<SinkOutput, EncodeFailure> {
                Ok(SinkOutput::default())
            }
        }
        let spec = null_spec(Mode::EncodeOnly, None);
        let progress = Progress::silent();
        let err = run_frames(&ctx, &spec, || Ok(Box::new(Failing)), &progress).unwrap_err();
        assert!(matches!(err, RunError::Encode(_)), "{err}");
    }

    /// The input starts before the sink: one that cannot start (a fed input
    /// already read) fails the run with its own error, and no sink is opened.
    #[test]
    fn an_input_that_cannot_start_opens_no_sink() {
        let (_sender, workload) = Workload::fed(64, 48, 30.0, crate::pixfmt::Layout::Bgr24);
        drop(workload.reader().unwrap());
        let ctx = RunContext {
            workload: &workload,
            ffmpeg: None,
            warmup: 0,
            write_timeout: Duration::from_secs(5),
            engine: EngineConfig::test(EngineKind::Pipelined),
            gpu: None,
        };
        let spec = null_spec(Mode::EncodeOnly, None);
        let opened = std::cell::Cell::new(false);
        let open = || -> Result<Box<dyn FrameSink>, RunError> {
            opened.set(true);
            Err(RunError::Other(anyhow::anyhow!("not to be opened")))
        };
        let err = run_frames(&ctx, &spec, open, &Progress::silent()).unwrap_err();
        assert!(err.to_string().contains("one run only"), "{err}");
        assert!(
            !opened.get(),
            "the sink was opened for an input that did not start"
        );
    }
}
