//! The one path every byte to stdout and stderr takes.
//!
//! - stdout: written whole and flushed. A reader that went away (`EPIPE`:
//!   `nvviz-bench doctor | head -1`) is not an error: the rest of the output
//!   is dropped quietly and the command ends with its own exit status (a
//!   regression found by `compare | head` still exits 1). Any other failure
//!   (`ENOSPC`: `> /dev/full`) is a [`StdoutError`], which `main` turns into
//!   the tool's one-line error and exit 2 — never a panic, never exit 0 with
//!   the text lost.
//! - stderr: best effort. When stderr itself cannot be written there is
//!   nowhere left to say so; the exit status still tells.
//!
//! `print!`/`println!`/`eprintln!` are used nowhere else in `src/`
//! (`tests/suite/architecture.rs` holds that): they panic on a failed write.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Standard output could not be written (and not because its reader left).
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot write to standard output: {cause}: free space there or redirect the output elsewhere"
)]
pub struct StdoutError {
    cause: io::Error,
}

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// True once stdout's reader has gone away; later output is dropped.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Writes `bytes` to stdout and flushes.
pub fn out_bytes(bytes: &[u8]) -> Result<(), StdoutError> {
    write_to(&mut io::stdout().lock(), bytes)
}

/// Writes `text` to stdout and flushes.
pub fn out(text: &str) -> Result<(), StdoutError> {
    out_bytes(text.as_bytes())
}

/// Writes `text` to stderr; a failure there is dropped (nowhere to report it).
pub fn err(text: &str) {
    let mut e = io::stderr().lock();
    let _ = e.write_all(text.as_bytes()).and_then(|()| e.flush());
}

fn write_to(w: &mut impl Write, bytes: &[u8]) -> Result<(), StdoutError> {
    if stdout_closed() {
        return Ok(());
    }
    match w.write_all(bytes).and_then(|()| w.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(cause) => Err(StdoutError { cause }),
    }
}

/// `println!` through [`out`]: evaluates to `Result<(), StdoutError>`.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::stdio::out(&format!("{}\n", format_args!($($arg)*))) };
}
pub(crate) use outln;

/// `eprintln!` through [`err`]: never panics.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::cli::stdio::err(&format!("{}\n", format_args!($($arg)*))) };
}
pub(crate) use errln;

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing(io::ErrorKind);
    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(self.0))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_device_is_an_error_with_what_to_do() {
        let e = write_to(&mut Failing(io::ErrorKind::StorageFull), b"x").unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("cannot write to standard output: "),
            "{text}"
        );
        assert!(text.contains("redirect"), "{text}");
    }

    #[test]
    fn a_closed_reader_ends_the_output_quietly_and_for_good() {
        assert!(!stdout_closed());
        write_to(&mut Failing(io::ErrorKind::BrokenPipe), b"x").unwrap();
        assert!(stdout_closed());
        // Later writes are dropped, even to a writer that would fail otherwise.
        write_to(&mut Failing(io::ErrorKind::StorageFull), b"y").unwrap();
        STDOUT_CLOSED.store(false, Ordering::Relaxed);
    }
}
