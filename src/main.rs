use std::process::ExitCode;

use clap::Parser;
use nvviz_bench::cli::{Cli, Command};
use nvviz_bench::commands::{self, Outcome};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Long runs stop cleanly on Ctrl-C / SIGTERM (ffmpeg reaped, results kept, exit 130).
    if matches!(cli.command, Command::Bench(_) | Command::Render(_)) {
        if let Err(e) = nvviz_bench::interrupt::install() {
            eprintln!("warning: cannot handle Ctrl-C cleanly: {e}");
        }
    }
    let result = match &cli.command {
        Command::Doctor(args) => commands::doctor::run(args, cli.verbose),
        Command::Bench(args) => commands::bench::run(args, cli.verbose),
        Command::Render(args) => commands::render::run(args, cli.verbose),
        Command::Report(args) => commands::report::run(args),
        Command::Compare(args) => commands::compare::run(args),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::RequirementNotMet) => ExitCode::from(1),
        Err(e) if e.is::<nvviz_bench::interrupt::Interrupted>() => {
            eprintln!("interrupted: ffmpeg stopped, temporary files removed, results so far kept");
            ExitCode::from(130)
        }
        Err(e) => {
            // One line: the whole chain of what failed, joined; the detailed form with -v.
            if cli.verbose {
                eprintln!("error: {e:?}");
            } else {
                eprintln!("error: {e:#}");
            }
            ExitCode::from(2)
        }
    }
}
