//! The command line: clap's parsing (`args`), the library's specs made from
//! it (`options`), the terminal's progress (`progress`, the library's
//! `Observer`), the one path to stdout and stderr (`stdio`), and one file per
//! subcommand (`commands`). Tables are made in `report::terminal`.

pub mod args;
pub mod commands;
pub mod options;
pub mod progress;
pub mod stdio;

pub use args::*;

use std::io::IsTerminal;

use clap::Parser;
use commands::Outcome;

/// The whole command line, from its arguments (the program name first) to
/// the exit status: the binary's `main`, and the Python module's `nvviz-bench`
/// script.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> u8 {
    crate::bench::usage::steady_allocator();
    // A panic is a bug: say so in one line instead of a Rust backtrace hint.
    // Unwinding still runs the drops that kill and reap ffmpeg children.
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        stdio::err(&format!("internal error (a bug in nvviz-bench, please report it with the command line): {message}{location}\n"));
    }));
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    // Long runs stop cleanly on Ctrl-C / SIGTERM (ffmpeg reaped, results kept,
    // exit 130): listening starts before any slow start-up work.
    if matches!(cli.command, Command::Bench(_) | Command::Render(_)) {
        if let Err(e) = crate::interrupt::install() {
            stdio::err(&format!("warning: cannot handle Ctrl-C cleanly: {e}\n"));
        }
    }
    // Scratch files of earlier runs that were killed outright (SIGKILL) and so
    // could not remove their own.
    crate::scratch::sweep_dead_runs();
    let result = match &cli.command {
        Command::Doctor(args) => commands::doctor::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::Render(args) => commands::render::run(args),
        Command::Report(args) => commands::report::run(args),
        Command::Compare(args) => commands::compare::run(args),
        Command::Completions(args) => commands::completions::completions(args),
        Command::Man(args) => commands::completions::man(args),
    };
    match result {
        Ok(Outcome::Ok) => 0,
        Ok(Outcome::RequirementNotMet) => 1,
        // The signal came, whichever error it unwound through (a probe's
        // ffmpeg killed by it says why in its own type).
        Err(e) if e.is::<crate::interrupt::Interrupted>() || crate::interrupt::requested() => {
            stdio::err(
                "interrupted: ffmpeg stopped, temporary files removed, results so far kept
",
            );
            130
        }
        Err(e) => {
            // One line: the whole chain of what failed, joined.
            stdio::err(&format!("error: {e:#}\n"));
            2
        }
    }
}

/// `--help`, `--version` (stdout, exit 0) and usage errors (stderr, exit 2),
/// written through the one output path: `--help > /dev/full` is an error, not
/// a lost page with exit 0. A refused value is one line.
fn clap_exit(e: &clap::Error) -> u8 {
    let code = e.exit_code().clamp(0, 255) as u8;
    if e.kind() == clap::error::ErrorKind::ValueValidation {
        // A value a parser refused: its one line says the rule, like ours.
        let text = e.render().to_string();
        stdio::err(&format!("{}\n", text.lines().next().unwrap_or_default()));
        return code;
    }
    if e.use_stderr() {
        // clap's own colour choice; a stderr that cannot be written leaves the exit status to tell.
        let _ = e.print();
        return code;
    }
    let text = if std::io::stdout().is_terminal() {
        e.render().ansi().to_string()
    } else {
        e.render().to_string()
    };
    match stdio::out(&text) {
        Ok(()) => code,
        Err(err) => {
            stdio::err(&format!("error: {err}\n"));
            2
        }
    }
}
