//! Progress as the CLI shows it: a bar per run on a terminal; elsewhere (CI
//! logs, pipes) a plain line every few seconds, so a long run is visibly
//! alive; a line per finished case; nothing with --quiet. The bench library
//! reports through `bench::progress::Observer`; this is the one that prints.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use crate::bench::progress::{Observer, RunObserver};
use crate::results::{label, CaseResult};

/// How often a non-terminal progress line is printed (`NVVIZ_PROGRESS_MS` overrides).
const LINE_EVERY_MS: u64 = 5_000;

fn line_every_ms() -> u64 {
    std::env::var("NVVIZ_PROGRESS_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|ms| *ms > 0)
        .unwrap_or(LINE_EVERY_MS)
}

/// One run's bar or lines.
pub struct Progress {
    bar: Option<ProgressBar>,
    lines: Option<Lines>,
}

/// The terminal's observer: bars, lines or nothing, as `Display` says.
pub struct Terminal(pub Display);

impl Observer for Terminal {
    fn run_started(&self, label: &str, frames: u64) -> Box<dyn RunObserver> {
        Box::new(Progress::start(self.0, label, frames))
    }

    fn note(&self, text: &str) {
        crate::cli::stdio::errln!("note: {text}");
    }

    fn case_finished(&self, position: usize, total: usize, result: &CaseResult) {
        if self.0 != Display::Quiet {
            crate::cli::stdio::errln!(
                "[{}/{total}] {}: {}",
                position + 1,
                result.id,
                label::case_line(result)
            );
        }
    }
}

impl RunObserver for Progress {
    fn frame(&self) {
        Progress::frame(self);
    }

    fn finish(self: Box<Self>) {
        Progress::finish(*self);
    }
}

struct Lines {
    label: String,
    total: u64,
    done: AtomicU64,
    started: Instant,
    every_ms: u64,
    next_ms: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    Bars,
    Lines,
    Quiet,
}

impl Display {
    pub fn detect(quiet: bool) -> Self {
        if quiet {
            Self::Quiet
        } else if std::io::stderr().is_terminal() {
            Self::Bars
        } else {
            Self::Lines
        }
    }
}

impl Progress {
    pub fn start(display: Display, label: &str, frames: u64) -> Self {
        let bar = (display == Display::Bars).then(|| {
            let bar = ProgressBar::new(frames);
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg:40} {wide_bar} {pos}/{len} [{elapsed_precise}] {per_sec}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message(label.to_string());
            bar
        });
        let lines = (display == Display::Lines).then(|| {
            let every_ms = line_every_ms();
            Lines {
                label: label.to_string(),
                total: frames,
                done: AtomicU64::new(0),
                started: Instant::now(),
                every_ms,
                next_ms: AtomicU64::new(every_ms),
            }
        });
        Self { bar, lines }
    }

    pub fn frame(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        if let Some(l) = &self.lines {
            let done = l.done.fetch_add(1, Ordering::Relaxed) + 1;
            let elapsed = l.started.elapsed();
            let ms = elapsed.as_millis() as u64;
            let due = l.next_ms.load(Ordering::Relaxed);
            // One thread wins the line when it is due.
            if ms >= due
                && l.next_ms
                    .compare_exchange(due, ms + l.every_ms, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                crate::cli::stdio::errln!(
                    "{}: {done}/{} frames, {:.1} fps, {:.0} s",
                    l.label,
                    l.total,
                    done as f64 / elapsed.as_secs_f64().max(1e-9),
                    elapsed.as_secs_f64()
                );
            }
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
