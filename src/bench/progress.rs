//! How a bench tells what it is doing without printing: the caller's
//! `Observer` hears of each run's frames and each finished case, and draws them
//! as it likes (the CLI: bars on a terminal, lines in logs, nothing with
//! --quiet — `commands/progress.rs`). The library never prints.

use crate::results::CaseResult;

/// What a bench reports while it runs.
pub trait Observer: Send + Sync {
    /// A run of `frames` frames starts; its frames are counted on what this returns.
    fn run_started(&self, label: &str, frames: u64) -> Box<dyn RunObserver>;
    /// A case is about to run: its writer chosen (the encoder that will run,
    /// and the fallback's cause where it is not the one asked for).
    fn case_started(&self, _result: &CaseResult) {}
    /// Case `position` (from 0) of `total` has its result.
    fn case_finished(&self, _position: usize, _total: usize, _result: &CaseResult) {}
    /// Something the user should know about the run (a stand-in overlay or writer).
    fn note(&self, _text: &str) {}
}

/// One run's frames, counted from whichever thread wrote them.
pub trait RunObserver: Send + Sync {
    fn frame(&self);
    fn finish(self: Box<Self>) {}
}

/// Hears nothing: tests, extra streams, callers that want no progress.
pub struct Silent;

impl Observer for Silent {
    fn run_started(&self, _label: &str, _frames: u64) -> Box<dyn RunObserver> {
        Box::new(Silent)
    }
}

impl RunObserver for Silent {
    fn frame(&self) {}
}

/// A run's progress handle, passed to the engines.
pub struct Progress(Box<dyn RunObserver>);

impl Progress {
    pub fn start(observer: &dyn Observer, label: &str, frames: u64) -> Self {
        Self(observer.run_started(label, frames))
    }

    pub fn silent() -> Self {
        Self(Box::new(Silent))
    }

    pub fn frame(&self) {
        self.0.frame();
    }

    pub fn finish(self) {
        self.0.finish();
    }
}
