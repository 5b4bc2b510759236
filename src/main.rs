use std::process::ExitCode;

use clap::Parser;
use nvviz_bench::cli::commands::{self, Outcome};
use nvviz_bench::cli::{Cli, Command};

fn main() -> ExitCode {
    nvviz_bench::bench::usage::steady_allocator();
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
        // stdout closed by the reader (`nvviz-bench doctor | head -1`): not a
        // bug; stop quietly, as `ls | true` does. Children die with us.
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        eprintln!(
            "internal error (a bug in nvviz-bench, please report it with the command line): {message}{location}"
        );
    }));
    let cli = Cli::parse();
    // Scratch files of earlier runs that were killed outright (SIGKILL) and so
    // could not remove their own.
    nvviz_bench::scratch::sweep_dead_runs();
    // Long runs stop cleanly on Ctrl-C / SIGTERM (ffmpeg reaped, results kept, exit 130).
    if matches!(cli.command, Command::Bench(_) | Command::Render(_)) {
        if let Err(e) = nvviz_bench::interrupt::install() {
            eprintln!("warning: cannot handle Ctrl-C cleanly: {e}");
        }
    }
    let result = match &cli.command {
        Command::Doctor(args) => commands::doctor::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::Render(args) => commands::render::run(args),
        Command::Report(args) => commands::report::run(args),
        Command::Compare(args) => commands::compare::run(args),
        Command::Completions(args) => commands::completions::completions(args),
        Command::Man => commands::completions::man(),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::RequirementNotMet) => ExitCode::from(1),
        Err(e) if e.is::<nvviz_bench::interrupt::Interrupted>() => {
            eprintln!("interrupted: ffmpeg stopped, temporary files removed, results so far kept");
            ExitCode::from(130)
        }
        Err(e) => {
            // One line: the whole chain of what failed, joined.
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
