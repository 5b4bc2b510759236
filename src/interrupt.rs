//! Ctrl-C / SIGTERM during a long run: the engine notices between frames, kills
//! and reaps its ffmpeg children (their process groups), removes temporary
//! files, writes the results measured so far marked interrupted, and the
//! process exits 130.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Routes SIGINT and SIGTERM to a flag instead of killing the process at once.
pub fn install() -> std::io::Result<()> {
    let flag = FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(flag))?;
    }
    Ok(())
}

pub fn requested() -> bool {
    FLAG.get().is_some_and(|f| f.load(Ordering::Relaxed))
}

/// The longest a wait goes without looking at the flag.
const LISTEN_EVERY: Duration = Duration::from_millis(20);

/// Sleeps `d`, or returns as soon as Ctrl-C/SIGTERM comes (true then): every
/// wait of unbounded length (`--realtime`'s pacing at `--fps 0.005` is 200 s)
/// goes through here, so a signal is answered within 20 ms.
pub fn sleep(d: Duration) -> bool {
    let until = Instant::now() + d;
    loop {
        if requested() {
            return true;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(left.min(LISTEN_EVERY));
    }
}

/// The error that unwinds a run to `main`, which exits 130.
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
pub struct Interrupted;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sleep_ends_on_time_without_a_signal() {
        let t = Instant::now();
        assert!(!sleep(Duration::from_millis(30)));
        assert!(t.elapsed() >= Duration::from_millis(30));
    }
}
