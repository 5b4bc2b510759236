//! `--realtime`: the timed frames offered as a live source would offer them,
//! frame k arriving k / fps after the clock starts. A frame is taken when the
//! loop is ready for it; one that arrived while an older frame was still being
//! drawn and written is dropped once a newer one has arrived (a camera's
//! one-frame buffer). What it measures: does this machine keep up live —
//! drops, late frames, and each written frame's latency from arrival to write.

use std::time::{Duration, Instant};

use crate::results::{Latency, Realtime};

pub struct Pacer {
    interval: Duration,
    frames: u64,
    started: Instant,
    /// The next frame not yet taken or dropped.
    next: u64,
    dropped: u64,
    latencies_ms: Vec<f64>,
}

/// The next frame to draw: `index` (of the timed frames), after reading past
/// `skip` frames that arrived while the loop was busy.
#[derive(Debug, PartialEq, Eq)]
pub struct Take {
    pub index: u64,
    pub skip: u64,
}

impl Pacer {
    /// A source of `frames` frames at `fps`, its clock starting now.
    pub fn start(fps: f64, frames: u64) -> Self {
        Self {
            interval: Duration::from_secs_f64(1.0 / fps.max(1e-3)),
            frames,
            started: Instant::now(),
            next: 0,
            dropped: 0,
            latencies_ms: Vec::new(),
        }
    }

    fn arrival(&self, index: u64) -> Instant {
        self.started + self.interval.mul_f64(index as f64)
    }

    /// Waits for the next frame if it has not arrived; skips to the newest
    /// one that has, when several have. None when the source is done.
    pub fn take(&mut self) -> Option<Take> {
        if self.next >= self.frames {
            return None;
        }
        let now = Instant::now();
        let arrived =
            now.saturating_duration_since(self.started).as_secs_f64() / self.interval.as_secs_f64();
        let newest = (arrived.floor() as u64).min(self.frames - 1);
        let index = if newest <= self.next {
            // A signal ends the wait at once; the caller sees the flag.
            crate::interrupt::sleep(self.arrival(self.next).saturating_duration_since(now));
            self.next
        } else {
            newest
        };
        let skip = index - self.next;
        self.dropped += skip;
        self.next = index + 1;
        Some(Take { index, skip })
    }

    /// Frame `index` was written now.
    pub fn written(&mut self, index: u64) {
        let latency = Instant::now().saturating_duration_since(self.arrival(index));
        self.latencies_ms.push(latency.as_secs_f64() * 1000.0);
    }

    pub fn finish(mut self) -> Realtime {
        let interval_ms = self.interval.as_secs_f64() * 1000.0;
        let late = self
            .latencies_ms
            .iter()
            .filter(|l| **l > interval_ms)
            .count() as u64;
        let written = self.latencies_ms.len() as u64;
        self.latencies_ms.sort_by(f64::total_cmp);
        let at = |q: f64| {
            let l = &self.latencies_ms;
            l.get(((l.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        Realtime {
            offered: self.frames,
            written,
            dropped: self.dropped,
            late,
            latency_ms: Latency {
                mean: self.latencies_ms.iter().sum::<f64>() / written.max(1) as f64,
                p50: at(0.5),
                p95: at(0.95),
                max: self.latencies_ms.last().copied().unwrap_or(0.0),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_that_keeps_up_takes_every_frame_at_its_time() {
        let mut pacer = Pacer::start(200.0, 5);
        let mut taken = Vec::new();
        while let Some(t) = pacer.take() {
            taken.push(t.index);
            pacer.written(t.index);
        }
        assert_eq!(taken, [0, 1, 2, 3, 4]);
        // Never taken before it arrived: the last arrives 20 ms in.
        assert!(pacer.started.elapsed() >= Duration::from_millis(20));
        let r = pacer.finish();
        assert_eq!((r.offered, r.written, r.dropped), (5, 5, 0));
    }

    #[test]
    fn a_loop_slower_than_the_source_drops_to_the_newest_frame() {
        // Each frame takes three intervals: at least two newer ones arrive meanwhile.
        let mut pacer = Pacer::start(100.0, 20);
        let mut taken = 0;
        while let Some(t) = pacer.take() {
            std::thread::sleep(Duration::from_millis(30));
            pacer.written(t.index);
            taken += 1;
        }
        let r = pacer.finish();
        assert_eq!(r.written, taken);
        assert_eq!(r.written + r.dropped, 20);
        // Every take but the last (the source ends) skipped at least two.
        assert!(r.dropped >= 2 * (r.written - 2), "{r:?}");
        assert_eq!(
            r.late, r.written,
            "every frame waited 30 ms for a 10 ms slot"
        );
        assert!(r.latency_ms.p50 >= 30.0, "{r:?}");
    }
}
